namespace Skiff.ApiServer.Audit;

/// <summary>A rule's <c>resources</c> entry: a group, resources in it (<c>pods</c>, <c>pods/log</c>, <c>*/status</c>, <c>pods/*</c>, <c>*</c>) and optionally names.</summary>
internal sealed record AuditGroupResources(string Group, IReadOnlyList<string> Resources, IReadOnlyList<string> ResourceNames)
{
    public bool Matches(AuditRequestAttributes request)
    {
        if (request.Group != Group)
        {
            return false;
        }

        if (Resources.Count == 0)
        {
            return true;
        }

        if (ResourceNames.Count > 0 && !ResourceNames.Contains(request.Name))
        {
            return false;
        }

        string combined = request.Subresource is { Length: > 0 } sub ? $"{request.Resource}/{sub}" : request.Resource;
        return Resources.Any(pattern =>
            pattern == "*"
            || pattern == combined
            || (request.Subresource is { Length: > 0 } && pattern == $"*/{request.Subresource}")
            || (pattern.EndsWith("/*", StringComparison.Ordinal) && pattern[..^2] == request.Resource));
    }
}
