using k8s.Models;

namespace Skiff.ControlPlane.Scheduling.Framework;

/// <summary>
/// What the framework gives a PostFilter plugin for one cycle (upstream's framework.Handle, cut to what preemption needs).
/// </summary>
public interface IFrameworkHandle
{
    /// <summary>The snapshot the cycle filtered against.</summary>
    IClusterSnapshot Snapshot { get; }

    /// <summary>Pods nominated to <paramref name="nodeName"/> (pending, expected to land there once victims are gone).</summary>
    IReadOnlyList<V1Pod> NominatedPodsForNode(string nodeName);

    /// <summary>The node <paramref name="pod"/> is nominated to (its status.nominatedNodeName, or the scheduler's own nomination), or null.</summary>
    string? NominatedNodeOf(V1Pod pod);

    /// <summary>
    /// The profile's Filter plugins on <paramref name="node"/>, counting the pods nominated to it with at least the pod's
    /// priority (upstream's RunFilterPluginsWithNominatedPods); success or the first rejection.
    /// </summary>
    PluginStatus RunFilterPluginsWithNominatedPods(CycleState state, V1Pod pod, NodeInfo node);

    /// <summary>Every PodDisruptionBudget the scheduler knows (empty when none are fed).</summary>
    IReadOnlyList<V1PodDisruptionBudget> PodDisruptionBudgets();

    /// <summary>Forgets the in-memory nomination of <paramref name="pod"/> (after its nomination was cleared).</summary>
    void ForgetNomination(V1Pod pod);

    /// <summary>The API writes preemption makes; null when the scheduler runs without an API (then nothing is written).</summary>
    IPreemptionApi? Api { get; }
}

/// <summary>The writes preemption makes, as upstream makes them.</summary>
public interface IPreemptionApi
{
    /// <summary>
    /// Evicts <paramref name="victim"/> for <paramref name="preemptor"/>: the DisruptionTarget condition (reason
    /// PreemptionByScheduler), a graceful delete guarded by the victim's uid, and the Preempted event. A victim already gone is
    /// not an error.
    /// </summary>
    Task PreemptAsync(V1Pod preemptor, V1Pod victim, string nodeName, CancellationToken cancellationToken);

    /// <summary>Writes status.nominatedNodeName (empty clears it) through pods/status.</summary>
    Task SetNominatedNodeNameAsync(V1Pod pod, string nodeName, CancellationToken cancellationToken);
}
