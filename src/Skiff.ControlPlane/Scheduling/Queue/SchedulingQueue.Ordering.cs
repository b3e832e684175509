using k8s.Models;
using Skiff.Machinery.Json;

namespace Skiff.ControlPlane.Scheduling.Queue;

/// <summary>The queue's orderings and the pod facts it compares.</summary>
public sealed partial class SchedulingQueue
{
    private bool Contains(string uid) =>
        _activeByUid.ContainsKey(uid) || _backoffByUid.ContainsKey(uid) || _unschedulable.ContainsKey(uid) || _inFlight.ContainsKey(uid);

    // Upstream's isPodUpdated: a change to status or resourceVersion alone (such as our own PodScheduled condition) is no reason to retry.
    private static bool SameSchedulingInputs(V1Pod before, V1Pod after) =>
        SkiffJson.ToBytes(before.Spec).AsSpan().SequenceEqual(SkiffJson.ToBytes(after.Spec))
        && SkiffJson.ToBytes(before.Metadata?.Labels).AsSpan().SequenceEqual(SkiffJson.ToBytes(after.Metadata?.Labels))
        && SkiffJson.ToBytes(before.Metadata?.Annotations).AsSpan().SequenceEqual(SkiffJson.ToBytes(after.Metadata?.Annotations));

    private static string UidOf(V1Pod pod) =>
        pod.Metadata?.Uid is { Length: > 0 } uid ? uid : throw new ArgumentException("The pod has no metadata.uid.", nameof(pod));

    private static int CompareActive(QueuedPodInfo? x, QueuedPodInfo? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        int byPriority = y.Priority.CompareTo(x.Priority);
        if (byPriority != 0)
        {
            return byPriority;
        }

        int byTime = x.Timestamp.CompareTo(y.Timestamp);
        return byTime != 0 ? byTime : x.Sequence.CompareTo(y.Sequence);
    }

    private static int CompareBackoff(QueuedPodInfo? x, QueuedPodInfo? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        int byExpiry = x.BackoffExpiry.CompareTo(y.BackoffExpiry);
        return byExpiry != 0 ? byExpiry : x.Sequence.CompareTo(y.Sequence);
    }
}
