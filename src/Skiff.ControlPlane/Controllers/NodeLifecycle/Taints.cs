using k8s.Models;

namespace Skiff.ControlPlane.Controllers.NodeLifecycle;

/// <summary>The well-known node taints (k8s.io/api core/v1 well_known_taints) and how tolerations match them.</summary>
public static class Taints
{
    public const string NotReady = "node.kubernetes.io/not-ready";
    public const string Unreachable = "node.kubernetes.io/unreachable";
    public const string Unschedulable = "node.kubernetes.io/unschedulable";
    public const string MemoryPressure = "node.kubernetes.io/memory-pressure";
    public const string DiskPressure = "node.kubernetes.io/disk-pressure";
    public const string PidPressure = "node.kubernetes.io/pid-pressure";
    public const string NetworkUnavailable = "node.kubernetes.io/network-unavailable";

    public const string NoSchedule = "NoSchedule";
    public const string NoExecute = "NoExecute";

    /// <summary>The NoSchedule taints the lifecycle controller owns (TaintNodesByCondition); others' taints are never touched.</summary>
    public static readonly IReadOnlySet<string> ManagedNoScheduleKeys =
        new HashSet<string>(StringComparer.Ordinal) { NotReady, Unreachable, Unschedulable, MemoryPressure, DiskPressure, PidPressure, NetworkUnavailable };

    /// <summary>The NoExecute taints the lifecycle controller owns (taint-based eviction).</summary>
    public static readonly IReadOnlySet<string> ManagedNoExecuteKeys = new HashSet<string>(StringComparer.Ordinal) { NotReady, Unreachable };

    public static bool IsManaged(V1Taint taint)
    {
        ArgumentNullException.ThrowIfNull(taint);
        return (taint.Effect == NoSchedule && ManagedNoScheduleKeys.Contains(taint.Key ?? ""))
            || (taint.Effect == NoExecute && ManagedNoExecuteKeys.Contains(taint.Key ?? ""));
    }

    /// <summary>Same key, value and effect (timeAdded does not make two taints different).</summary>
    public static bool SameTaint(V1Taint a, V1Taint b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Key == b.Key && (a.Value ?? "") == (b.Value ?? "") && a.Effect == b.Effect;
    }
}
