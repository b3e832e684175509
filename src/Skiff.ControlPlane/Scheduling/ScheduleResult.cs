using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>
/// The outcome of scheduling one pod against one snapshot: a node, or the FailedScheduling message with the statuses behind it.
/// </summary>
public sealed record ScheduleResult(V1Pod Pod, string? NodeName, string? FailureMessage)
{
    public bool Succeeded => NodeName is not null;

    /// <summary>True for a plugin error (retried after back-off), false for "fits nowhere" (waits for a cluster event).</summary>
    public bool IsError { get; init; }

    /// <summary>Nodes that passed every Filter plugin.</summary>
    public int FeasibleNodes { get; init; }

    /// <summary>Nodes the Filter phase looked at before it had found enough feasible ones.</summary>
    public int EvaluatedNodes { get; init; }

    /// <summary>The rejecting status of each node filtered out.</summary>
    public IReadOnlyDictionary<string, PluginStatus> NodeToStatus { get; init; } = new Dictionary<string, PluginStatus>();

    /// <summary>Plugins that rejected the pod; the queue keeps them with the unschedulable pod.</summary>
    public IReadOnlySet<string> UnschedulablePlugins { get; init; } = new HashSet<string>();

    /// <summary>The node preemption nominated the pod to (set when a PostFilter plugin made room on it).</summary>
    public string? NominatedNodeName { get; init; }

    /// <summary>What the PostFilter phase needs when the pod fit nowhere; null otherwise.</summary>
    internal FitFailure? Fit { get; init; }

    /// <summary>The bind in flight (completed once the binder returned and the cache and queue were told).</summary>
    public Task Binding { get; init; } = Task.CompletedTask;
}
