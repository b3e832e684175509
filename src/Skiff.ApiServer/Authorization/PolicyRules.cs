using k8s.Models;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// RBAC's matching of one PolicyRule against one request, as upstream's rbac/v1 helpers: <c>*</c> matches every verb, group,
/// resource or URL; a rule resource <c>pods/log</c> matches that subresource only, <c>*/scale</c> the scale subresource of
/// every resource; an empty resourceNames matches every name; a non-resource URL ending in <c>*</c> matches by prefix.
/// </summary>
internal static class PolicyRules
{
    public const string All = "*";

    public static bool Allows(AuthorizationAttributes request, V1PolicyRule rule)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(rule);
        if (!VerbMatches(rule, request.Verb))
        {
            return false;
        }

        if (!request.IsResourceRequest)
        {
            return NonResourceUrlMatches(rule, request.Path!);
        }

        string combined = string.IsNullOrEmpty(request.Subresource) ? request.Resource : request.Resource + "/" + request.Subresource;
        return ApiGroupMatches(rule, request.ApiGroup)
            && ResourceMatches(rule, combined, request.Subresource)
            && ResourceNameMatches(rule, request.Name);
    }

    public static bool VerbMatches(V1PolicyRule rule, string verb) => Contains(rule.Verbs, verb);

    public static bool ApiGroupMatches(V1PolicyRule rule, string group) => Contains(rule.ApiGroups, group);

    public static bool ResourceMatches(V1PolicyRule rule, string combinedResource, string? subresource)
    {
        foreach (string ruleResource in rule.Resources ?? [])
        {
            if (ruleResource == All || ruleResource == combinedResource
                || (!string.IsNullOrEmpty(subresource) && ruleResource == "*/" + subresource))
            {
                return true;
            }
        }

        return false;
    }

    public static bool ResourceNameMatches(V1PolicyRule rule, string? name)
    {
        if (rule.ResourceNames is null || rule.ResourceNames.Count == 0)
        {
            return true;
        }

        return name is not null && rule.ResourceNames.Contains(name);
    }

    public static bool NonResourceUrlMatches(V1PolicyRule rule, string path)
    {
        foreach (string url in rule.NonResourceURLs ?? [])
        {
            if (url == All || url == path || (url.EndsWith('*') && path.StartsWith(url[..^1], StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Contains(IList<string>? values, string value)
    {
        if (values is null)
        {
            return false;
        }

        foreach (string candidate in values)
        {
            if (candidate == All || candidate == value)
            {
                return true;
            }
        }

        return false;
    }
}
