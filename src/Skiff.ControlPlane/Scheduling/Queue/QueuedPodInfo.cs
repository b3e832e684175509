using k8s.Models;

namespace Skiff.ControlPlane.Scheduling.Queue;

/// <summary>A pod waiting in the <see cref="SchedulingQueue"/>, with what the back-off and the ordering need.</summary>
public sealed class QueuedPodInfo
{
    internal QueuedPodInfo(V1Pod pod, DateTimeOffset now, long sequence)
    {
        Pod = pod;
        Timestamp = now;
        InitialAttemptTimestamp = now;
        Sequence = sequence;
    }

    public V1Pod Pod { get; internal set; }

    public string Uid => Pod.Metadata?.Uid ?? string.Empty;

    /// <summary>spec.priority as the PriorityClass admission resolved it; 0 when unset.</summary>
    public int Priority => Pod.Spec?.Priority ?? 0;

    /// <summary>When the pod last entered the queue or was last tried: orders equal priorities and starts the back-off.</summary>
    public DateTimeOffset Timestamp { get; internal set; }

    public DateTimeOffset InitialAttemptTimestamp { get; }

    /// <summary>Scheduling attempts so far (each Pop counts one); the back-off doubles with each.</summary>
    public int Attempts { get; internal set; }

    /// <summary>The queue's scheduling cycle in which the pod was popped last (see <see cref="SchedulingQueue.AddUnschedulable"/>).</summary>
    public long SchedulingCycle { get; internal set; }

    /// <summary>Plugins that rejected the pod in its last attempt.</summary>
    public IReadOnlySet<string> UnschedulablePlugins { get; internal set; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Ties in priority and timestamp (same virtual tick) keep arrival order.</summary>
    internal long Sequence { get; set; }

    internal DateTimeOffset BackoffExpiry { get; set; }
}
