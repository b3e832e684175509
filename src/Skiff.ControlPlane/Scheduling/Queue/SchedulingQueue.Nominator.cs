using k8s.Models;

namespace Skiff.ControlPlane.Scheduling.Queue;

/// <summary>
/// Nominated pods (upstream's nominator): pending pods expected to land on a node once preemption has made room there. A
/// nomination comes from the pod's status.nominatedNodeName as the informer shows it, or from the scheduler itself
/// (<see cref="AddNominatedPod"/>) before its write of that field comes back. The Filter phase counts nominated pods of at
/// least the same priority on their node, so a lower-priority pod does not take the room preemption freed.
/// </summary>
public sealed partial class SchedulingQueue
{
    private readonly Dictionary<string, (string Node, V1Pod Pod)> _nominated = new(StringComparer.Ordinal);

    /// <summary>Nominates the pod to <paramref name="nodeName"/> in memory (the scheduler's own nomination after preemption).</summary>
    public void AddNominatedPod(V1Pod pod, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentException.ThrowIfNullOrEmpty(nodeName);
        lock (_lock)
        {
            _nominated[UidOf(pod)] = (nodeName, pod);
        }
    }

    /// <summary>Drops the pod's nomination (it was assumed on a node, deleted, or its nomination was cleared).</summary>
    public void DeleteNominatedPodIfExists(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            _nominated.Remove(UidOf(pod));
        }
    }

    /// <summary>The node the pod is nominated to, or null.</summary>
    public string? NominatedNodeOf(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            return _nominated.TryGetValue(UidOf(pod), out (string Node, V1Pod Pod) entry) ? entry.Node : null;
        }
    }

    /// <summary>Every nomination, by node: one copy per scheduling cycle, so the parallel Filter phase takes no lock.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<V1Pod>> NominatedPodsByNode()
    {
        lock (_lock)
        {
            if (_nominated.Count == 0)
            {
                return s_noNominations;
            }

            return _nominated.Values
                .GroupBy(e => e.Node, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (IReadOnlyList<V1Pod>)[.. g.Select(e => e.Pod)], StringComparer.Ordinal);
        }
    }

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<V1Pod>> s_noNominations = new Dictionary<string, IReadOnlyList<V1Pod>>();

    // Upstream's updateNominatedPod: the pod's own status.nominatedNodeName wins when either version carries one (added,
    // changed or cleared by anyone); when neither does, a nomination the scheduler made in memory is kept, since the update may
    // be older than the scheduler's write of the field.
    private void UpdateNominationLocked(V1Pod? old, V1Pod pod)
    {
        string uid = UidOf(pod);
        string? now = pod.Status?.NominatedNodeName;
        if (!string.IsNullOrEmpty(now))
        {
            _nominated[uid] = (now, pod);
        }
        else if (!string.IsNullOrEmpty(old?.Status?.NominatedNodeName))
        {
            _nominated.Remove(uid);
        }
        else if (_nominated.TryGetValue(uid, out (string Node, V1Pod Pod) kept))
        {
            _nominated[uid] = (kept.Node, pod);
        }
    }

    private V1Pod? QueuedPodLocked(string uid) =>
        _activeByUid.TryGetValue(uid, out QueuedPodInfo? a) ? a.Pod
        : _backoffByUid.TryGetValue(uid, out QueuedPodInfo? b) ? b.Pod
        : _unschedulable.TryGetValue(uid, out QueuedPodInfo? u) ? u.Pod
        : _inFlight.TryGetValue(uid, out QueuedPodInfo? f) ? f.Pod
        : null;
}
