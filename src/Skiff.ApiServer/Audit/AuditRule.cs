namespace Skiff.ApiServer.Audit;

/// <summary>One policy rule (upstream's PolicyRule); every condition it sets must hold, and the first matching rule decides.</summary>
internal sealed record AuditRule(
    AuditLevel Level,
    IReadOnlyList<string> Users,
    IReadOnlyList<string> UserGroups,
    IReadOnlyList<string> Verbs,
    IReadOnlyList<AuditGroupResources> Resources,
    IReadOnlyList<string> Namespaces,
    IReadOnlyList<string> NonResourceUrls,
    IReadOnlyList<AuditStage> OmitStages,
    bool? OmitManagedFields)
{
    public bool Matches(AuditRequestAttributes request)
    {
        if (Users.Count > 0 && (request.User is null || !Users.Contains(request.User.Name)))
        {
            return false;
        }

        if (UserGroups.Count > 0 && (request.User is null || !request.User.Groups.Any(UserGroups.Contains)))
        {
            return false;
        }

        if (Verbs.Count > 0 && !Verbs.Contains(request.Verb))
        {
            return false;
        }

        if (Namespaces.Count > 0 || Resources.Count > 0)
        {
            return request.IsResourceRequest
                && (Namespaces.Count == 0 || Namespaces.Contains(request.Namespace))
                && (Resources.Count == 0 || Resources.Any(r => r.Matches(request)));
        }

        if (NonResourceUrls.Count > 0)
        {
            return !request.IsResourceRequest && NonResourceUrls.Any(pattern =>
                pattern == request.Path || (pattern.EndsWith('*') && request.Path.StartsWith(pattern[..^1], StringComparison.Ordinal)));
        }

        return true;
    }
}
