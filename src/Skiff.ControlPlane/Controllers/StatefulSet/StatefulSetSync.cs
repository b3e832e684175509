using System.Globalization;
using k8s.Models;
using Skiff.ControlPlane.Controllers.ReplicaSet;

namespace Skiff.ControlPlane.Controllers.StatefulSet;

/// <summary>
/// The pure half of a StatefulSet sync (upstream stateful_set_control.go and stateful_set_utils.go): stable pod identities,
/// the pods and claims for an ordinal, which one step the sync takes, and the status to write.
/// </summary>
internal static class StatefulSetSync
{
    public const string PodNameLabel = "statefulset.kubernetes.io/pod-name";
    public const string PodIndexLabel = "apps.kubernetes.io/pod-index";
    public const string RevisionLabel = "controller-revision-hash";

    public static int StartOrdinal(V1StatefulSet set) => set.Spec?.Ordinals?.Start ?? 0;

    public static int Replicas(V1StatefulSet set) => set.Spec?.Replicas ?? 1;

    public static bool IsParallel(V1StatefulSet set) => set.Spec?.PodManagementPolicy == "Parallel";

    public static bool IsOnDelete(V1StatefulSet set) => set.Spec?.UpdateStrategy?.Type == "OnDelete";

    public static int Partition(V1StatefulSet set) =>
        IsOnDelete(set) ? 0 : set.Spec?.UpdateStrategy?.RollingUpdate?.Partition ?? 0;

    public static string PodName(V1StatefulSet set, int ordinal) =>
        set.Metadata.Name + "-" + ordinal.ToString(CultureInfo.InvariantCulture);

    public static string ClaimName(V1PersistentVolumeClaim template, V1StatefulSet set, int ordinal) =>
        template.Metadata?.Name + "-" + PodName(set, ordinal);

    /// <summary>The ordinal in <c>&lt;set&gt;-&lt;ordinal&gt;</c>, or null for a pod whose name is not one of the set's.</summary>
    public static int? Ordinal(V1StatefulSet set, V1Pod pod)
    {
        string name = pod.Metadata?.Name ?? string.Empty;
        string prefix = set.Metadata.Name + "-";
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        string suffix = name[prefix.Length..];
        return suffix.Length > 0 && suffix.All(char.IsAsciiDigit) && (suffix == "0" || suffix[0] != '0')
            && int.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out int ordinal) ? ordinal : null;
    }

    public static string? Revision(V1Pod pod) =>
        pod.Metadata?.Labels is { } labels && labels.TryGetValue(RevisionLabel, out string? revision) ? revision : null;

    public static bool IsCreated(V1Pod pod) => !string.IsNullOrEmpty(pod.Status?.Phase);

    public static bool IsTerminating(V1Pod pod) => pod.Metadata?.DeletionTimestamp is not null;

    public static bool IsFinished(V1Pod pod) => pod.Status?.Phase is "Failed" or "Succeeded";

    public static bool IsRunningAndReady(V1Pod pod) => pod.Status?.Phase == "Running" && PodControl.IsReady(pod);

    public static bool IsRunningAndAvailable(V1Pod pod, int minReadySeconds, DateTimeOffset now) =>
        pod.Status?.Phase == "Running" && PodControl.IsAvailable(pod, minReadySeconds, now);

    public static bool IsHealthy(V1Pod pod) => IsRunningAndReady(pod) && !IsTerminating(pod);

    /// <summary>
    /// The pod for <paramref name="ordinal"/> from <paramref name="template"/>: stable name and hostname, the headless
    /// service as subdomain, identity and revision labels, and each volumeClaimTemplate mounted as its own claim.
    /// </summary>
    public static V1Pod NewPod(V1StatefulSet set, V1PodTemplateSpec? template, int ordinal, string revisionName)
    {
        V1PodTemplateSpec copy = ReplicaSetSync.Clone(template ?? new V1PodTemplateSpec());
        V1ObjectMeta meta = copy.Metadata ?? new V1ObjectMeta();
        string name = PodName(set, ordinal);
        var labels = new Dictionary<string, string>(meta.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [PodNameLabel] = name,
            [PodIndexLabel] = ordinal.ToString(CultureInfo.InvariantCulture),
            [RevisionLabel] = revisionName,
        };
        V1PodSpec spec = copy.Spec ?? new V1PodSpec();
        spec.Hostname = name;
        spec.Subdomain = string.IsNullOrEmpty(set.Spec?.ServiceName) ? spec.Subdomain : set.Spec.ServiceName;
        foreach (V1PersistentVolumeClaim claim in set.Spec?.VolumeClaimTemplates ?? [])
        {
            // A claim template replaces a template volume of the same name (upstream updateStorage).
            List<V1Volume> volumes = [.. (spec.Volumes ?? []).Where(v => v.Name != claim.Metadata?.Name)];
            volumes.Add(new V1Volume
            {
                Name = claim.Metadata?.Name,
                PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = ClaimName(claim, set, ordinal) },
            });
            spec.Volumes = volumes;
        }

        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = set.Metadata.NamespaceProperty,
                Labels = labels,
                Annotations = meta.Annotations is null ? null : new Dictionary<string, string>(meta.Annotations),
                Finalizers = meta.Finalizers,
                OwnerReferences = [PodControl.ControllerReference("apps/v1", "StatefulSet", set.Metadata)],
            },
            Spec = spec,
        };
    }

    /// <summary>The claims the pod at <paramref name="ordinal"/> mounts, labelled with the set's selector (upstream getPersistentVolumeClaims).</summary>
    public static List<V1PersistentVolumeClaim> NewClaims(V1StatefulSet set, int ordinal)
    {
        var claims = new List<V1PersistentVolumeClaim>();
        foreach (V1PersistentVolumeClaim template in set.Spec?.VolumeClaimTemplates ?? [])
        {
            V1PersistentVolumeClaim claim = ReplicaSetSync.Clone(template);
            var labels = new Dictionary<string, string>(claim.Metadata?.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
            foreach ((string key, string value) in set.Spec?.Selector?.MatchLabels ?? new Dictionary<string, string>())
            {
                labels[key] = value;
            }

            claims.Add(new V1PersistentVolumeClaim
            {
                ApiVersion = "v1",
                Kind = "PersistentVolumeClaim",
                Metadata = new V1ObjectMeta
                {
                    Name = ClaimName(template, set, ordinal),
                    NamespaceProperty = set.Metadata.NamespaceProperty,
                    Labels = labels,
                    Annotations = claim.Metadata?.Annotations,
                },
                Spec = claim.Spec,
            });
        }

        return claims;
    }

    /// <summary>
    /// The one step a sync takes (upstream updateStatefulSet). Missing ordinals are created, failed pods replaced, ordinals
    /// beyond replicas deleted highest first, then pods not at the update revision are deleted from the highest ordinal down
    /// to the partition, one at a time, each waiting for the previous to be Running and Ready. With OrderedReady every
    /// create or delete waits for all lower ordinals to be healthy and is the only action of its sync; with Parallel all
    /// creates and deletes happen at once (rolling updates stay one at a time either way).
    /// </summary>
    public static StatefulSetStep Plan(V1StatefulSet set, IEnumerable<V1Pod> pods, string updateRevision, int minReadySeconds, DateTimeOffset now)
    {
        int start = StartOrdinal(set);
        int count = Math.Max(0, Replicas(set));
        var replicas = new V1Pod?[count];
        var condemned = new List<V1Pod>();
        foreach (V1Pod pod in pods)
        {
            if (Ordinal(set, pod) is not int ordinal)
            {
                continue;
            }

            if (ordinal >= start && ordinal < start + count)
            {
                replicas[ordinal - start] = pod;
            }
            else
            {
                condemned.Add(pod);
            }
        }

        condemned.Sort((a, b) => (Ordinal(set, b) ?? 0).CompareTo(Ordinal(set, a) ?? 0));
        bool monotonic = !IsParallel(set);
        var step = new StatefulSetStep();

        // The lowest unhealthy ordinal is the only condemned pod that may go while it is unhealthy.
        V1Pod? firstUnhealthy = replicas.OfType<V1Pod>().Concat(condemned).Where(p => !IsHealthy(p)).MinBy(p => Ordinal(set, p));

        for (int i = 0; i < count; i++)
        {
            V1Pod? pod = replicas[i];
            if (pod is not null && IsFinished(pod))
            {
                if (!IsTerminating(pod))
                {
                    step.Deletes.Add(pod);
                }

                // The replacement is created once the failed pod is gone (its name must be free).
                if (monotonic)
                {
                    return step;
                }

                continue;
            }

            if (pod is null)
            {
                step.Creates.Add(start + i);
                if (monotonic)
                {
                    return step;
                }

                continue;
            }

            if (monotonic && (IsTerminating(pod) || !IsRunningAndReady(pod) || !IsRunningAndAvailable(pod, minReadySeconds, now)))
            {
                step.WaitingFor = pod.Metadata.Name;
                return step;
            }
        }

        foreach (V1Pod pod in condemned)
        {
            if (IsTerminating(pod))
            {
                if (monotonic)
                {
                    step.WaitingFor = pod.Metadata.Name;
                    return step;
                }

                continue;
            }

            if (monotonic && !IsHealthy(pod) && !ReferenceEquals(pod, firstUnhealthy))
            {
                step.WaitingFor = firstUnhealthy?.Metadata.Name;
                return step;
            }

            step.Deletes.Add(pod);
            if (monotonic)
            {
                return step;
            }
        }

        if (IsOnDelete(set) || step.Creates.Count > 0)
        {
            return step;
        }

        // Upstream compares the partition with the position in the set, not the ordinal, when it picks pods to update.
        for (int target = count - 1; target >= Math.Max(0, Partition(set)); target--)
        {
            V1Pod? pod = replicas[target];
            if (pod is null || IsFinished(pod))
            {
                return step;
            }

            if (Revision(pod) != updateRevision && !IsTerminating(pod))
            {
                step.Deletes.Add(pod);
                return step;
            }

            if (!IsHealthy(pod))
            {
                step.WaitingFor = pod.Metadata.Name;
                return step;
            }
        }

        return step;
    }

    /// <summary>
    /// Which revision a new pod at <paramref name="ordinal"/> gets: below the RollingUpdate partition the current one
    /// (those pods are not to be updated yet), otherwise the update revision (upstream newVersionedStatefulSetPod).
    /// </summary>
    public static bool UsesCurrentRevision(V1StatefulSet set, int ordinal) =>
        !IsOnDelete(set) && ordinal < Partition(set);

    public static V1StatefulSetStatus ComputeStatus(V1StatefulSet set, IEnumerable<V1Pod> pods, string currentRevision, string updateRevision, int? collisionCount, DateTimeOffset now)
    {
        int minReadySeconds = set.Spec?.MinReadySeconds ?? 0;
        var status = new V1StatefulSetStatus
        {
            ObservedGeneration = set.Metadata?.Generation,
            CurrentRevision = currentRevision,
            UpdateRevision = updateRevision,
            CollisionCount = collisionCount,
            Conditions = set.Status?.Conditions,
        };
        int replicas = 0, ready = 0, available = 0, current = 0, updated = 0;
        foreach (V1Pod pod in pods.Where(p => Ordinal(set, p) is not null))
        {
            if (IsCreated(pod))
            {
                replicas++;
            }

            if (IsRunningAndReady(pod))
            {
                ready++;
                if (IsRunningAndAvailable(pod, minReadySeconds, now))
                {
                    available++;
                }
            }

            if (IsCreated(pod) && !IsTerminating(pod))
            {
                current += Revision(pod) == currentRevision ? 1 : 0;
                updated += Revision(pod) == updateRevision ? 1 : 0;
            }
        }

        (status.Replicas, status.ReadyReplicas, status.AvailableReplicas, status.CurrentReplicas, status.UpdatedReplicas) = (replicas, ready, available, current, updated);

        // A finished RollingUpdate makes the update revision current (upstream completeRollingUpdate).
        if (!IsOnDelete(set) && updated == replicas && ready == replicas)
        {
            status.CurrentReplicas = updated;
            status.CurrentRevision = updateRevision;
        }

        return status;
    }

    public static bool StatusEquals(V1StatefulSetStatus? a, V1StatefulSetStatus b) =>
        a is not null
        && (a.Replicas, a.ReadyReplicas ?? 0, a.AvailableReplicas ?? 0, a.CurrentReplicas ?? 0, a.UpdatedReplicas ?? 0, a.ObservedGeneration, a.CurrentRevision, a.UpdateRevision, a.CollisionCount ?? 0)
            == (b.Replicas, b.ReadyReplicas ?? 0, b.AvailableReplicas ?? 0, b.CurrentReplicas ?? 0, b.UpdatedReplicas ?? 0, b.ObservedGeneration, b.CurrentRevision, b.UpdateRevision, b.CollisionCount ?? 0);
}
