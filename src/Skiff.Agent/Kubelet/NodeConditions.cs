using k8s.Models;

namespace Skiff.Agent.Kubelet;

/// <summary>
/// The four node conditions as upstream's kubelet sets them: MemoryPressure, DiskPressure and PIDPressure from the hard
/// eviction thresholds, Ready from the runtime's readiness. lastHeartbeatTime is now; lastTransitionTime moves only when the
/// status flips.
/// </summary>
public static class NodeConditions
{
    /// <summary>PIDPressure's threshold when <c>--eviction-hard</c> names no pid.available.</summary>
    public static EvictionThreshold DefaultPidThreshold { get; } = new(EvictionThresholds.PidAvailable, null, 5m);

    public static IList<V1NodeCondition> Compute(
        NodeHostStats host, EvictionThresholds evictionHard, IReadOnlyList<string> runtimeErrors, IEnumerable<V1NodeCondition>? previous, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(evictionHard);
        ArgumentNullException.ThrowIfNull(runtimeErrors);
        var before = (previous ?? []).Where(c => c?.Type is not null).GroupBy(c => c.Type).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

        bool memory = Below(host.MemoryAvailable, host.MemoryTotal, evictionHard.Find(EvictionThresholds.MemoryAvailable));
        bool disk = Below(host.FsAvailable, host.FsTotal, evictionHard.Find(EvictionThresholds.NodeFsAvailable));
        bool pid = Below(host.PidMax - host.PidsRunning, host.PidMax, evictionHard.Find(EvictionThresholds.PidAvailable) ?? DefaultPidThreshold);
        return
        [
            memory
                ? Make("MemoryPressure", "True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available")
                : Make("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            disk
                ? Make("DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure")
                : Make("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            pid
                ? Make("PIDPressure", "True", "KubeletHasInsufficientPID", "kubelet has insufficient PID available")
                : Make("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            runtimeErrors.Count == 0
                ? Make("Ready", "True", "KubeletReady", "kubelet is posting ready status")
                : Make("Ready", "False", "KubeletNotReady", runtimeErrors.Count == 1 ? runtimeErrors[0] : "[" + string.Join(", ", runtimeErrors) + "]"),
        ];

        V1NodeCondition Make(string type, string status, string reason, string message)
        {
            DateTime transition = before.TryGetValue(type, out V1NodeCondition? old) && old.Status == status && old.LastTransitionTime is { } t ? t : now;
            return new V1NodeCondition
            {
                Type = type, Status = status, Reason = reason, Message = message, LastHeartbeatTime = now, LastTransitionTime = transition,
            };
        }
    }

    /// <summary>True when <paramref name="available"/> is under the threshold's share of <paramref name="capacity"/>.</summary>
    private static bool Below(long available, long capacity, EvictionThreshold? threshold) =>
        threshold is not null && capacity > 0 && available < threshold.Amount(capacity);
}
