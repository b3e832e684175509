using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// Filter: the node's NoSchedule and NoExecute taints must all be tolerated. Score: the number of PreferNoSchedule taints
/// the pod does not tolerate, normalized reversed, so the node with the fewest scores 100.
/// </summary>
public sealed class TaintToleration : IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "TaintToleration";

    /// <summary>Upstream's default weight in the default profile.</summary>
    public const int DefaultWeight = 3;

    private const string PreScoreKey = "PreScore" + PluginName;

    public string Name => PluginName;

    /// <summary>Upstream's message for the first untolerated taint: <c>node(s) had untolerated taint {key: value}</c>.</summary>
    public static string UntoleratedTaintReason(V1Taint taint)
    {
        ArgumentNullException.ThrowIfNull(taint);
        return $"node(s) had untolerated taint {{{taint.Key}: {taint.Value}}}";
    }

    public PluginStatus Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);
        IList<V1Toleration>? tolerations = pod.Spec?.Tolerations;
        if (node.Node.Spec?.Taints is not { Count: > 0 } taints)
        {
            return PluginStatus.Success;
        }

        foreach (V1Taint taint in taints)
        {
            if (taint.Effect is "NoSchedule" or "NoExecute" && !Tolerations.AnyTolerates(tolerations, taint))
            {
                return PluginStatus.UnschedulableAndUnresolvable(PluginName, UntoleratedTaintReason(taint));
            }
        }

        return PluginStatus.Success;
    }

    public PluginStatus PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        state.Write(PreScoreKey, PreferNoScheduleTolerations(pod));
        return PluginStatus.Success;
    }

    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(node);
        if (node.Node.Spec?.Taints is not { Count: > 0 } taints)
        {
            return 0;
        }

        List<V1Toleration> tolerations = state.Read<List<V1Toleration>>(PreScoreKey) ?? PreferNoScheduleTolerations(pod);
        long intolerable = 0;
        foreach (V1Taint taint in taints)
        {
            if (taint.Effect == "PreferNoSchedule" && !Tolerations.AnyTolerates(tolerations, taint))
            {
                intolerable++;
            }
        }

        return intolerable;
    }

    public void NormalizeScores(CycleState state, V1Pod pod, Span<long> scores) => ScoreNormalizer.Default(scores, reverse: true);

    // An empty effect tolerates every effect, PreferNoSchedule included.
    private static List<V1Toleration> PreferNoScheduleTolerations(V1Pod pod) =>
        [.. (pod.Spec?.Tolerations ?? []).Where(t => string.IsNullOrEmpty(t.Effect) || t.Effect == "PreferNoSchedule")];
}
