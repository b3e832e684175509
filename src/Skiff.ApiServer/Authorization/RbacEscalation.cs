using k8s.Models;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// Upstream's ConfirmNoEscalation arithmetic: which of the rules a write would grant the writer does not already hold. Each
/// requested rule is broken down into one rule per group, resource, verb and name (or URL and verb); a piece is held when one
/// of the writer's rules covers it. The missing pieces are compacted (verbs merged for one plain group and resource) and
/// written as upstream's CompactString, sorted.
/// </summary>
internal static class RbacEscalation
{
    /// <summary>Every verb on every resource and URL: what setting an aggregationRule requires (upstream's fullAuthority).</summary>
    public static readonly IReadOnlyList<V1PolicyRule> FullAuthority =
    [
        new() { Verbs = [PolicyRules.All], ApiGroups = [PolicyRules.All], Resources = [PolicyRules.All] },
        new() { Verbs = [PolicyRules.All], NonResourceURLs = [PolicyRules.All] },
    ];

    /// <summary>The requested rules' pieces that no owner rule covers, as sorted compact strings; empty when all are held.</summary>
    public static List<string> Missing(IEnumerable<V1PolicyRule> requested, IReadOnlyList<V1PolicyRule> owned)
    {
        var missing = new List<V1PolicyRule>();
        foreach (V1PolicyRule rule in requested)
        {
            foreach (V1PolicyRule piece in Breakdown(rule))
            {
                if (!owned.Any(o => Covers(o, piece)))
                {
                    missing.Add(piece);
                }
            }
        }

        var descriptions = new SortedSet<string>(StringComparer.Ordinal);
        foreach (V1PolicyRule rule in Compact(missing))
        {
            descriptions.Add(CompactString(rule));
        }

        return [.. descriptions];
    }

    /// <summary>Upstream's message for a refused grant (wrapped in a 403 for the role or binding).</summary>
    public static string Message(Authentication.UserInfo user, IReadOnlyList<string> missing, string resolutionErrors)
    {
        ArgumentNullException.ThrowIfNull(user);
        string message = $"user {Quote(user.Name)} (groups={QuoteList(user.Groups)}) is attempting to grant RBAC permissions not currently held:\n{string.Join("\n", missing)}";
        return resolutionErrors.Length == 0 ? message : message + $"; resolution errors: [{resolutionErrors}]";
    }

    private static IEnumerable<V1PolicyRule> Breakdown(V1PolicyRule rule)
    {
        foreach (string group in rule.ApiGroups ?? [])
        {
            foreach (string resource in rule.Resources ?? [])
            {
                foreach (string verb in rule.Verbs ?? [])
                {
                    if (rule.ResourceNames is { Count: > 0 })
                    {
                        foreach (string name in rule.ResourceNames)
                        {
                            yield return new V1PolicyRule { ApiGroups = [group], Resources = [resource], Verbs = [verb], ResourceNames = [name] };
                        }
                    }
                    else
                    {
                        yield return new V1PolicyRule { ApiGroups = [group], Resources = [resource], Verbs = [verb] };
                    }
                }
            }
        }

        foreach (string url in rule.NonResourceURLs ?? [])
        {
            foreach (string verb in rule.Verbs ?? [])
            {
                yield return new V1PolicyRule { NonResourceURLs = [url], Verbs = [verb] };
            }
        }
    }

    /// <summary>Whether <paramref name="owner"/> covers a broken-down rule (upstream's ruleCovers on one piece).</summary>
    private static bool Covers(V1PolicyRule owner, V1PolicyRule piece)
    {
        string verb = piece.Verbs[0];
        if (!PolicyRules.VerbMatches(owner, verb))
        {
            return false;
        }

        if (piece.NonResourceURLs is { Count: > 0 })
        {
            string url = piece.NonResourceURLs[0];
            return PolicyRules.NonResourceUrlMatches(owner, url);
        }

        string resource = piece.Resources[0];
        int slash = resource.IndexOf('/', StringComparison.Ordinal);
        string? subresource = slash < 0 ? null : resource[(slash + 1)..];
        return PolicyRules.ApiGroupMatches(owner, piece.ApiGroups[0])
            && PolicyRules.ResourceMatches(owner, resource, subresource)
            && PolicyRules.ResourceNameMatches(owner, piece.ResourceNames is { Count: > 0 } ? piece.ResourceNames[0] : null);
    }

    /// <summary>Upstream's CompactRules: rules for one group, resource and at most one name merge their verbs.</summary>
    private static List<V1PolicyRule> Compact(List<V1PolicyRule> rules)
    {
        var merged = new Dictionary<(string Group, string Resource, string? Name), V1PolicyRule>();
        var result = new List<V1PolicyRule>();
        foreach (V1PolicyRule rule in rules)
        {
            if (rule.NonResourceURLs is { Count: > 0 } || rule.ApiGroups is not { Count: 1 } || rule.Resources is not { Count: 1 } || rule.ResourceNames is { Count: > 1 })
            {
                result.Add(rule);
                continue;
            }

            (string, string, string?) key = (rule.ApiGroups[0], rule.Resources[0], rule.ResourceNames is { Count: 1 } ? rule.ResourceNames[0] : null);
            if (merged.TryGetValue(key, out V1PolicyRule? existing))
            {
                foreach (string verb in rule.Verbs ?? [])
                {
                    existing.Verbs.Add(verb);
                }
            }
            else
            {
                var copy = new V1PolicyRule { ApiGroups = [key.Item1], Resources = [key.Item2], ResourceNames = key.Item3 is null ? null : [key.Item3], Verbs = [.. rule.Verbs ?? []] };
                merged.Add(key, copy);
                result.Add(copy);
            }
        }

        return result;
    }

    /// <summary>Upstream's rbacv1helpers.CompactString: the non-empty fields, each as Go's %q of a string slice.</summary>
    private static string CompactString(V1PolicyRule rule)
    {
        var parts = new List<string>();
        if (rule.ApiGroups is { Count: > 0 })
        {
            parts.Add("APIGroups:" + QuoteList(rule.ApiGroups));
        }

        if (rule.Resources is { Count: > 0 })
        {
            parts.Add("Resources:" + QuoteList(rule.Resources));
        }

        if (rule.NonResourceURLs is { Count: > 0 })
        {
            parts.Add("NonResourceURLs:" + QuoteList(rule.NonResourceURLs));
        }

        if (rule.ResourceNames is { Count: > 0 })
        {
            parts.Add("ResourceNames:" + QuoteList(rule.ResourceNames));
        }

        if (rule.Verbs is { Count: > 0 })
        {
            parts.Add("Verbs:" + QuoteList(rule.Verbs));
        }

        return "{" + string.Join(", ", parts) + "}";
    }

    private static string QuoteList(IEnumerable<string> values) => "[" + string.Join(" ", values.Select(Quote)) + "]";

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
