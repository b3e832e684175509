using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// Filter: spec.nodeSelector and requiredDuringSchedulingIgnoredDuringExecution must both match. Score: the sum of the
/// weights of the preferred terms the node matches, normalized so the best node scores 100. NodeAffinityArgs.addedAffinity
/// (from the scheduler configuration) applies to every pod on top of its own: its required terms must match too, and its
/// preferred terms add to the score.
/// </summary>
public sealed class NodeAffinity : IPreFilterPlugin, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "NodeAffinity";

    public const string ErrReasonPod = "node(s) didn't match Pod's node affinity/selector";

    public const string ErrReasonEnforced = "node(s) didn't match scheduler-enforced node affinity";

    /// <summary>Upstream's default weight in the default profile.</summary>
    public const int DefaultWeight = 2;

    private readonly V1NodeSelector? _addedRequired;
    private readonly V1PreferredSchedulingTerm[] _addedPreferred;

    public NodeAffinity()
        : this(null)
    {
    }

    /// <param name="addedAffinity">Upstream's NodeAffinityArgs.addedAffinity; null for none.</param>
    public NodeAffinity(V1NodeAffinity? addedAffinity)
    {
        _addedRequired = addedAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        _addedPreferred = [.. (addedAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? []).Where(t => t.Weight != 0)];
    }

    public string Name => PluginName;

    /// <summary>Skips the Filter when the pod has neither a nodeSelector nor required node affinity.</summary>
    public PluginStatus PreFilter(CycleState state, V1Pod pod, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(pod);
        bool hasSelector = pod.Spec?.NodeSelector is { Count: > 0 };
        bool hasRequired = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution is not null;
        return hasSelector || hasRequired || _addedRequired is not null ? PluginStatus.Success : PluginStatus.Skip(PluginName);
    }

    public PluginStatus Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);
        if (_addedRequired is not null && !NodeSelectorMatcher.MatchesAnyTerm(_addedRequired.NodeSelectorTerms, node.Node))
        {
            return PluginStatus.UnschedulableAndUnresolvable(PluginName, ErrReasonEnforced);
        }

        if (!NodeSelectorMatcher.MatchesNodeSelector(pod.Spec?.NodeSelector, node.Node))
        {
            return PluginStatus.UnschedulableAndUnresolvable(PluginName, ErrReasonPod);
        }

        V1NodeSelector? required = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        if (required is not null && !NodeSelectorMatcher.MatchesAnyTerm(required.NodeSelectorTerms, node.Node))
        {
            return PluginStatus.UnschedulableAndUnresolvable(PluginName, ErrReasonPod);
        }

        return PluginStatus.Success;
    }

    /// <summary>Skips scoring when neither the pod nor addedAffinity has preferred terms with a non-zero weight.</summary>
    public PluginStatus PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return Preferred(pod).Any() ? PluginStatus.Success : PluginStatus.Skip(PluginName);
    }

    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);
        long score = 0;
        foreach (V1PreferredSchedulingTerm term in Preferred(pod))
        {
            if (NodeSelectorMatcher.MatchesTerm(term.Preference, node.Node))
            {
                score += term.Weight;
            }
        }

        return score;
    }

    public void NormalizeScores(CycleState state, V1Pod pod, Span<long> scores) => ScoreNormalizer.Default(scores, reverse: false);

    private IEnumerable<V1PreferredSchedulingTerm> Preferred(V1Pod pod) =>
        (pod.Spec?.Affinity?.NodeAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? []).Where(t => t.Weight != 0).Concat(_addedPreferred);
}
