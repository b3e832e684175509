using System.Globalization;
using k8s.Models;

namespace Skiff.ControlPlane.Controllers.DaemonSet;

/// <summary>
/// Whether a DaemonSet's pod belongs on a node (upstream NodeShouldRunDaemonPod): the template's nodeName, nodeSelector and
/// required node affinity must match the node, and every NoSchedule or NoExecute taint must be tolerated by the template's
/// tolerations plus the ones every daemon pod gets. A pod already there may stay on a node whose only untolerated taints are
/// NoSchedule (they keep new pods away, not running ones).
/// </summary>
internal static class NodeEligibility
{
    /// <summary>The field a daemon pod's node affinity names its node by.</summary>
    public const string NodeNameField = "metadata.name";

    /// <summary>
    /// The tolerations upstream adds to every daemon pod: a daemon keeps running on a node that is not ready or unreachable,
    /// and is placed despite pressure or cordoning, since it is often what the node needs to recover.
    /// </summary>
    public static IReadOnlyList<V1Toleration> DefaultTolerations(bool hostNetwork)
    {
        List<V1Toleration> tolerations =
        [
            new() { Key = "node.kubernetes.io/not-ready", OperatorProperty = "Exists", Effect = "NoExecute" },
            new() { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists", Effect = "NoExecute" },
            new() { Key = "node.kubernetes.io/disk-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" },
            new() { Key = "node.kubernetes.io/memory-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" },
            new() { Key = "node.kubernetes.io/pid-pressure", OperatorProperty = "Exists", Effect = "NoSchedule" },
            new() { Key = "node.kubernetes.io/unschedulable", OperatorProperty = "Exists", Effect = "NoSchedule" },
        ];
        if (hostNetwork)
        {
            tolerations.Add(new() { Key = "node.kubernetes.io/network-unavailable", OperatorProperty = "Exists", Effect = "NoSchedule" });
        }

        return tolerations;
    }

    /// <summary>The template's tolerations plus each default whose key and effect it does not already have.</summary>
    public static List<V1Toleration> WithDefaultTolerations(V1PodSpec? spec)
    {
        List<V1Toleration> tolerations = [.. spec?.Tolerations ?? []];
        foreach (V1Toleration extra in DefaultTolerations(spec?.HostNetwork == true))
        {
            if (!tolerations.Any(t => t.Key == extra.Key && t.Effect == extra.Effect))
            {
                tolerations.Add(extra);
            }
        }

        return tolerations;
    }

    public static (bool ShouldRun, bool ShouldContinueRunning) ShouldRunOn(V1Node node, V1DaemonSet ds)
    {
        V1PodSpec? spec = ds.Spec?.Template?.Spec;
        string nodeName = node.Metadata?.Name ?? string.Empty;
        if (!string.IsNullOrEmpty(spec?.NodeName) && spec.NodeName != nodeName)
        {
            return (false, false);
        }

        if (!MatchesNodeSelector(spec?.NodeSelector, node) || !MatchesRequiredAffinity(spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution, node))
        {
            return (false, false);
        }

        List<V1Toleration> tolerations = WithDefaultTolerations(spec);
        List<V1Taint> untolerated = [.. (node.Spec?.Taints ?? [])
            .Where(t => t.Effect is "NoSchedule" or "NoExecute" && !tolerations.Any(tol => Tolerations.Tolerates(tol, t)))];
        if (untolerated.Count == 0)
        {
            return (true, true);
        }

        return (false, !untolerated.Any(t => t.Effect == "NoExecute"));
    }

    public static bool MatchesNodeSelector(IDictionary<string, string>? nodeSelector, V1Node node)
    {
        IDictionary<string, string> labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        return (nodeSelector ?? new Dictionary<string, string>()).All(s => labels.TryGetValue(s.Key, out string? v) && v == s.Value);
    }

    /// <summary>Terms are ORed; within a term every expression and field requirement must hold; an empty term matches nothing.</summary>
    public static bool MatchesRequiredAffinity(V1NodeSelector? required, V1Node node)
    {
        if (required is null)
        {
            return true;
        }

        IDictionary<string, string> labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        var fields = new Dictionary<string, string> { [NodeNameField] = node.Metadata?.Name ?? string.Empty };
        return (required.NodeSelectorTerms ?? []).Any(term =>
            ((term.MatchExpressions?.Count ?? 0) > 0 || (term.MatchFields?.Count ?? 0) > 0)
            && (term.MatchExpressions ?? []).All(r => Matches(r, labels))
            && (term.MatchFields ?? []).All(r => Matches(r, fields)));
    }

    private static bool Matches(V1NodeSelectorRequirement requirement, IDictionary<string, string> labels)
    {
        bool present = labels.TryGetValue(requirement.Key ?? string.Empty, out string? value);
        IList<string> values = requirement.Values ?? [];
        return requirement.OperatorProperty switch
        {
            "In" => present && values.Contains(value ?? string.Empty),
            "NotIn" => !present || !values.Contains(value ?? string.Empty),
            "Exists" => present,
            "DoesNotExist" => !present,
            "Gt" => present && values.Count == 1 && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long a)
                && long.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long b) && a > b,
            "Lt" => present && values.Count == 1 && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long c)
                && long.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long d) && c < d,
            _ => false,
        };
    }
}
