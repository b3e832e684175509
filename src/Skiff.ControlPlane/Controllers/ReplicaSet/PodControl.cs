using k8s.Models;

namespace Skiff.ControlPlane.Controllers.ReplicaSet;

/// <summary>Pure pod helpers shared by the ReplicaSet and Deployment controllers (upstream's controller_utils).</summary>
internal static class PodControl
{
    /// <summary>Active pods are those that still count towards replicas: not finished and not being deleted.</summary>
    public static bool IsActive(V1Pod pod) =>
        pod.Status?.Phase is not ("Succeeded" or "Failed") && pod.Metadata?.DeletionTimestamp is null;

    public static bool IsReady(V1Pod pod) => ReadyCondition(pod)?.Status == "True";

    /// <summary>Ready for at least minReadySeconds, measured from the Ready condition's lastTransitionTime.</summary>
    public static bool IsAvailable(V1Pod pod, int minReadySeconds, DateTimeOffset now)
    {
        V1PodCondition? ready = ReadyCondition(pod);
        if (ready?.Status != "True")
        {
            return false;
        }

        if (minReadySeconds <= 0)
        {
            return true;
        }

        return ready.LastTransitionTime is { } since && new DateTimeOffset(DateTime.SpecifyKind(since, DateTimeKind.Utc)).AddSeconds(minReadySeconds) <= now;
    }

    public static V1OwnerReference? ControllerOf(V1ObjectMeta? meta) =>
        meta?.OwnerReferences?.FirstOrDefault(o => o.Controller == true);

    public static V1OwnerReference ControllerReference(string apiVersion, string kind, V1ObjectMeta owner) => new()
    {
        ApiVersion = apiVersion,
        Kind = kind,
        Name = owner.Name,
        Uid = owner.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    /// <summary>
    /// Orders pods so that the cheapest to lose come first (upstream's ActivePods ordering): unscheduled before scheduled,
    /// Pending before Unknown before Running, not ready before ready, ready for less time first, more restarts first, newer first.
    /// </summary>
    public static List<V1Pod> RankForDeletion(IEnumerable<V1Pod> pods) =>
        [.. pods
            .OrderBy(p => string.IsNullOrEmpty(p.Spec?.NodeName) ? 0 : 1)
            .ThenBy(p => p.Status?.Phase switch { "Pending" => 0, "Unknown" => 1, "Running" => 2, _ => 0 })
            .ThenBy(p => IsReady(p) ? 1 : 0)
            .ThenByDescending(p => ReadyCondition(p)?.LastTransitionTime ?? DateTime.MinValue)
            .ThenByDescending(p => p.Status?.ContainerStatuses?.Sum(c => c.RestartCount) ?? 0)
            .ThenByDescending(p => p.Metadata?.CreationTimestamp ?? DateTime.MinValue)
            .ThenBy(p => p.Metadata?.Name, StringComparer.Ordinal)];

    private static V1PodCondition? ReadyCondition(V1Pod pod) =>
        pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
}
