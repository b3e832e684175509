using k8s.Models;
using Skiff.Machinery.Json;

namespace Skiff.ControlPlane.Controllers.ReplicaSet;

/// <summary>The pure half of a ReplicaSet sync: which pods it owns, what to create or delete, and the status to write.</summary>
internal static class ReplicaSetSync
{
    /// <summary>Upstream's burst limit per sync: a 1,000-replica set is created in batches, not with one thousand calls at once.</summary>
    public const int BurstReplicas = 500;

    /// <summary>
    /// Splits the namespace's pods into those the ReplicaSet controls and orphans it should adopt (matching the selector,
    /// no controller owner). Pods controlled by someone else are never touched.
    /// </summary>
    public static (List<V1Pod> Owned, List<V1Pod> Orphans) ClaimPods(V1ReplicaSet rs, IEnumerable<V1Pod> pods) =>
        ControllerRefManager.Claim(rs.Metadata ?? new V1ObjectMeta(), rs.Spec?.Selector, pods);

    /// <summary>Positive: pods to create; negative: pods to delete. Bounded by <see cref="BurstReplicas"/>.</summary>
    public static int Diff(V1ReplicaSet rs, IReadOnlyCollection<V1Pod> activePods) =>
        Math.Clamp((rs.Spec?.Replicas ?? 1) - activePods.Count, -BurstReplicas, BurstReplicas);

    public static List<V1Pod> PodsToDelete(IEnumerable<V1Pod> activePods, int count) =>
        [.. PodControl.RankForDeletion(activePods).Take(count)];

    /// <summary>A pod from the template, named by the server from generateName, controlled by the ReplicaSet.</summary>
    public static V1Pod NewPod(V1ReplicaSet rs)
    {
        V1PodTemplateSpec template = Clone(rs.Spec?.Template ?? new V1PodTemplateSpec());
        V1ObjectMeta meta = template.Metadata ?? new V1ObjectMeta();
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                GenerateName = rs.Metadata.Name + "-",
                NamespaceProperty = rs.Metadata.NamespaceProperty,
                Labels = meta.Labels is null ? null : new Dictionary<string, string>(meta.Labels),
                Annotations = meta.Annotations is null ? null : new Dictionary<string, string>(meta.Annotations),
                Finalizers = meta.Finalizers,
                OwnerReferences = [PodControl.ControllerReference("apps/v1", "ReplicaSet", rs.Metadata)],
            },
            Spec = template.Spec,
        };
    }

    public static V1ReplicaSetStatus ComputeStatus(V1ReplicaSet rs, IReadOnlyCollection<V1Pod> activePods, DateTimeOffset now)
    {
        IDictionary<string, string> templateLabels = rs.Spec?.Template?.Metadata?.Labels ?? new Dictionary<string, string>();
        int minReadySeconds = rs.Spec?.MinReadySeconds ?? 0;
        return new V1ReplicaSetStatus
        {
            Replicas = activePods.Count,
            FullyLabeledReplicas = activePods.Count(p => templateLabels.All(l => p.Metadata?.Labels is { } labels && labels.TryGetValue(l.Key, out string? v) && v == l.Value)),
            ReadyReplicas = activePods.Count(PodControl.IsReady),
            AvailableReplicas = activePods.Count(p => PodControl.IsAvailable(p, minReadySeconds, now)),
            ObservedGeneration = rs.Metadata?.Generation,
            Conditions = rs.Status?.Conditions,
        };
    }

    public static bool StatusEquals(V1ReplicaSetStatus? a, V1ReplicaSetStatus b) =>
        a is not null && (a.Replicas, a.FullyLabeledReplicas ?? 0, a.ReadyReplicas ?? 0, a.AvailableReplicas ?? 0, a.ObservedGeneration)
            == (b.Replicas, b.FullyLabeledReplicas ?? 0, b.ReadyReplicas ?? 0, b.AvailableReplicas ?? 0, b.ObservedGeneration);

    /// <summary>
    /// The soonest moment a not-yet-available ready pod becomes available, so the sync can requeue itself then instead of
    /// waiting for an unrelated event (upstream requeues after minReadySeconds for the same reason).
    /// </summary>
    public static TimeSpan? NextAvailabilityCheck(V1ReplicaSet rs, IEnumerable<V1Pod> activePods, DateTimeOffset now)
    {
        int minReadySeconds = rs.Spec?.MinReadySeconds ?? 0;
        if (minReadySeconds <= 0)
        {
            return null;
        }

        return activePods.Any(p => PodControl.IsReady(p) && !PodControl.IsAvailable(p, minReadySeconds, now))
            ? TimeSpan.FromSeconds(1)
            : null;
    }

    /// <summary>A deep copy through JSON: cached objects are shared, and the models' collections are mutable.</summary>
    public static T Clone<T>(T value)
        where T : class =>
        SkiffJson.FromBytes<T>(SkiffJson.ToBytes(value)) ?? throw new InvalidOperationException("A non-null object serialised to null.");
}
