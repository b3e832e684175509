using k8s.Models;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// One topologySpreadConstraint with upstream's defaults applied: minDomains 1, nodeAffinityPolicy Honor, nodeTaintsPolicy
/// Ignore, and the pod's own values of matchLabelKeys added to the selector.
/// </summary>
internal sealed record PodTopologySpreadConstraint(
    int MaxSkew, string TopologyKey, LabelSelector Selector, int MinDomains, bool HonorNodeAffinity, bool HonorNodeTaints)
{
    public const string DoNotSchedule = "DoNotSchedule";
    public const string ScheduleAnyway = "ScheduleAnyway";

    /// <summary>The pod's constraints whose whenUnsatisfiable is <paramref name="action"/>, in declaration order.</summary>
    public static IReadOnlyList<PodTopologySpreadConstraint> Of(V1Pod pod, string action) =>
        From(pod, pod.Spec?.TopologySpreadConstraints ?? [], action, defaultSelector: null);

    /// <summary>
    /// <paramref name="defaults"/> applied to a pod without constraints of its own, all counting pods with
    /// <paramref name="selector"/> (upstream's buildDefaultConstraints).
    /// </summary>
    public static IReadOnlyList<PodTopologySpreadConstraint> OfDefaults(
        V1Pod pod, IEnumerable<V1TopologySpreadConstraint> defaults, string action, V1LabelSelector selector) =>
        From(pod, defaults, action, selector);

    private static List<PodTopologySpreadConstraint> From(
        V1Pod pod, IEnumerable<V1TopologySpreadConstraint> source, string action, V1LabelSelector? defaultSelector)
    {
        var constraints = new List<PodTopologySpreadConstraint>();
        IDictionary<string, string> podLabels = pod.Metadata?.Labels ?? new Dictionary<string, string>();
        foreach (V1TopologySpreadConstraint c in source)
        {
            if (!string.Equals(c.WhenUnsatisfiable, action, StringComparison.Ordinal))
            {
                continue;
            }

            constraints.Add(new PodTopologySpreadConstraint(
                c.MaxSkew,
                c.TopologyKey ?? string.Empty,
                LabelSelector.FromModel(WithMatchLabelKeys(defaultSelector ?? c.LabelSelector, c.MatchLabelKeys, podLabels)),
                c.MinDomains ?? 1,
                HonorNodeAffinity: c.NodeAffinityPolicy is null or "Honor",
                HonorNodeTaints: c.NodeTaintsPolicy is "Honor"));
        }

        return constraints;
    }

    /// <summary>
    /// Pods counted for this constraint on a node: same namespace as the incoming pod, not terminating, matching the selector.
    /// An empty selector counts nothing, as upstream's countPodsMatchSelector.
    /// </summary>
    public int CountMatching(IReadOnlyList<V1Pod> pods, string podNamespace)
    {
        if (Selector.IsEmpty)
        {
            return 0;
        }

        int count = 0;
        foreach (V1Pod pod in pods)
        {
            // A terminating pod is about to free its domain; counting it would block the replacement that is waiting for it.
            if (pod.Metadata?.DeletionTimestamp is not null || InterPodAffinityTerms.NamespaceOf(pod) != podNamespace)
            {
                continue;
            }

            if (Selector.Matches(InterPodAffinityTerms.LabelsOf(pod)))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Whether the incoming pod's own labels match, so that placing it adds one to the domain.</summary>
    public bool MatchesSelf(V1Pod pod) => Selector.Matches(InterPodAffinityTerms.LabelsOf(pod));

    // matchLabelKeys: "key In (the pod's value)" for each key the pod has, so each revision spreads on its own. A null
    // selector stays null (it selects nothing either way).
    private static V1LabelSelector? WithMatchLabelKeys(V1LabelSelector? selector, IList<string>? keys, IDictionary<string, string> podLabels)
    {
        if (selector is null || keys is null || keys.Count == 0)
        {
            return selector;
        }

        var expressions = new List<V1LabelSelectorRequirement>(selector.MatchExpressions ?? []);
        foreach (string key in keys)
        {
            if (podLabels.TryGetValue(key, out string? value))
            {
                expressions.Add(new V1LabelSelectorRequirement { Key = key, OperatorProperty = "In", Values = [value] });
            }
        }

        return new V1LabelSelector { MatchLabels = selector.MatchLabels, MatchExpressions = expressions };
    }
}

/// <summary>
/// Which nodes count as domains for a pod's spread: the node-inclusion policies. nodeAffinityPolicy Honor keeps only nodes
/// that match the pod's nodeSelector and required node affinity; nodeTaintsPolicy Honor keeps only nodes whose NoSchedule and
/// NoExecute taints the pod tolerates.
/// </summary>
internal sealed class PodTopologySpreadNodeInclusion(V1Pod pod)
{
    private readonly IDictionary<string, string>? _nodeSelector = pod.Spec?.NodeSelector;
    private readonly V1NodeSelector? _required = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
    private readonly IList<V1Toleration> _tolerations = pod.Spec?.Tolerations ?? [];

    public bool Includes(PodTopologySpreadConstraint constraint, V1Node node) =>
        (!constraint.HonorNodeAffinity || MatchesNodeAffinity(node)) && (!constraint.HonorNodeTaints || ToleratesTaints(node));

    public static bool HasAllTopologyKeys(V1Node node, IReadOnlyList<PodTopologySpreadConstraint> constraints)
    {
        IDictionary<string, string>? labels = node.Metadata?.Labels;
        foreach (PodTopologySpreadConstraint c in constraints)
        {
            if (labels is null || !labels.ContainsKey(c.TopologyKey))
            {
                return false;
            }
        }

        return true;
    }

    private bool MatchesNodeAffinity(V1Node node)
    {
        IDictionary<string, string> labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        foreach ((string key, string value) in _nodeSelector ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out string? actual) || actual != value)
            {
                return false;
            }
        }

        // Terms are ORed; an empty list or an empty term matches nothing, as upstream.
        return _required is null || (_required.NodeSelectorTerms ?? []).Any(term => MatchesTerm(term, labels, node.Metadata?.Name ?? string.Empty));
    }

    private static bool MatchesTerm(V1NodeSelectorTerm term, IDictionary<string, string> labels, string nodeName)
    {
        IList<V1NodeSelectorRequirement> expressions = term.MatchExpressions ?? [];
        IList<V1NodeSelectorRequirement> fields = term.MatchFields ?? [];
        if (expressions.Count == 0 && fields.Count == 0)
        {
            return false;
        }

        foreach (V1NodeSelectorRequirement r in expressions)
        {
            if (!MatchesRequirement(r, labels.TryGetValue(r.Key ?? string.Empty, out string? value), value))
            {
                return false;
            }
        }

        foreach (V1NodeSelectorRequirement r in fields)
        {
            // metadata.name is the only field a node selector may name.
            bool known = r.Key == "metadata.name";
            if (!MatchesRequirement(r, known, known ? nodeName : null))
            {
                return false;
            }
        }

        return true;
    }

    private static bool MatchesRequirement(V1NodeSelectorRequirement r, bool has, string? value)
    {
        IList<string> values = r.Values ?? [];
        return r.OperatorProperty switch
        {
            "In" => has && values.Contains(value!),
            "NotIn" => !has || !values.Contains(value!),
            "Exists" => has,
            "DoesNotExist" => !has,
            "Gt" => has && values.Count == 1 && long.TryParse(value, out long a) && long.TryParse(values[0], out long b) && a > b,
            "Lt" => has && values.Count == 1 && long.TryParse(value, out long c) && long.TryParse(values[0], out long d) && c < d,
            _ => false,
        };
    }

    private bool ToleratesTaints(V1Node node)
    {
        foreach (V1Taint taint in node.Spec?.Taints ?? [])
        {
            if (taint.Effect is "NoSchedule" or "NoExecute" && !_tolerations.Any(t => Tolerations.Tolerates(t, taint)))
            {
                return false;
            }
        }

        return true;
    }
}
