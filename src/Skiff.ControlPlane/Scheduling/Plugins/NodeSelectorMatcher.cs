using System.Globalization;
using k8s.Models;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// Upstream's node selector semantics (component-helpers nodeaffinity): terms are ORed; within a term every matchExpression
/// (on labels) and every matchField (only metadata.name exists) must hold. A term with neither matches nothing, and a term
/// with a malformed requirement (In without values, Gt with a non-integer, …) matches nothing, as upstream ignores it.
/// </summary>
public static class NodeSelectorMatcher
{
    /// <summary>Whether the node's labels hold every key=value of a pod's spec.nodeSelector.</summary>
    public static bool MatchesNodeSelector(IDictionary<string, string>? nodeSelector, V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (nodeSelector is null || nodeSelector.Count == 0)
        {
            return true;
        }

        IDictionary<string, string>? labels = node.Metadata?.Labels;
        return nodeSelector.All(kv => labels is not null && labels.TryGetValue(kv.Key, out string? value) && value == kv.Value);
    }

    /// <summary>Whether any term matches (a selector with no terms matches nothing).</summary>
    public static bool MatchesAnyTerm(IEnumerable<V1NodeSelectorTerm>? terms, V1Node node) =>
        terms is not null && terms.Any(term => MatchesTerm(term, node));

    public static bool MatchesTerm(V1NodeSelectorTerm? term, V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (term is null || ((term.MatchExpressions?.Count ?? 0) == 0 && (term.MatchFields?.Count ?? 0) == 0))
        {
            return false;
        }

        IDictionary<string, string>? labels = node.Metadata?.Labels;
        foreach (V1NodeSelectorRequirement requirement in term.MatchExpressions ?? [])
        {
            if (!MatchesLabel(requirement, labels))
            {
                return false;
            }
        }

        foreach (V1NodeSelectorRequirement requirement in term.MatchFields ?? [])
        {
            if (!MatchesField(requirement, node))
            {
                return false;
            }
        }

        return true;
    }

    private static bool MatchesLabel(V1NodeSelectorRequirement requirement, IDictionary<string, string>? labels)
    {
        IList<string> values = requirement.Values ?? [];
        string? value = null;
        bool present = labels is not null && requirement.Key is not null && labels.TryGetValue(requirement.Key, out value);
        switch (requirement.OperatorProperty)
        {
            case "In":
                return values.Count > 0 && present && values.Contains(value!);
            case "NotIn":
                return values.Count > 0 && (!present || !values.Contains(value!));
            case "Exists":
                return values.Count == 0 && present;
            case "DoesNotExist":
                return values.Count == 0 && !present;
            case "Gt":
            case "Lt":
                if (values.Count != 1 || !TryParseInteger(values[0], out long bound) || !present || !TryParseInteger(value, out long actual))
                {
                    return false;
                }

                return requirement.OperatorProperty == "Gt" ? actual > bound : actual < bound;
            default:
                return false;
        }
    }

    private static bool MatchesField(V1NodeSelectorRequirement requirement, V1Node node)
    {
        // Only metadata.name is a node field; a requirement on any other key compares against a missing field.
        string? actual = requirement.Key == "metadata.name" ? node.Metadata?.Name : null;
        if (requirement.Values is not { Count: 1 } values)
        {
            return false;
        }

        return requirement.OperatorProperty switch
        {
            "In" => actual == values[0],
            "NotIn" => actual != values[0],
            _ => false,
        };
    }

    private static bool TryParseInteger(string? text, out long value) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
}
