using System.Globalization;
using k8s.Models;
using Skiff.ControlPlane.Controllers.ReplicaSet;

namespace Skiff.ControlPlane.Controllers.Deployment;

/// <summary>The pure half of a Deployment sync (upstream's deployment/util): revisions, the new ReplicaSet, rollout arithmetic, status.</summary>
internal static class DeploymentSync
{
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    public const string DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
    public const string MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";

    public static long Revision(V1ReplicaSet rs) =>
        rs.Metadata?.Annotations is { } a && a.TryGetValue(RevisionAnnotation, out string? v)
            && long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long r) ? r : 0;

    public static long MaxRevision(IEnumerable<V1ReplicaSet> sets) => sets.Select(Revision).DefaultIfEmpty(0).Max();

    /// <summary>The ReplicaSet whose template (hash label aside) equals the Deployment's, oldest first when several do.</summary>
    public static V1ReplicaSet? FindNewReplicaSet(V1Deployment deployment, IEnumerable<V1ReplicaSet> owned)
    {
        string hash = PodTemplateHash.Compute(deployment.Spec?.Template, deployment.Status?.CollisionCount);
        return owned
            .Where(rs => PodTemplateHash.Compute(rs.Spec?.Template, deployment.Status?.CollisionCount) == hash)
            .OrderBy(rs => rs.Metadata?.CreationTimestamp ?? DateTime.MinValue)
            .ThenBy(rs => rs.Metadata?.Name, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    public static V1ReplicaSet NewReplicaSet(V1Deployment deployment, long revision, int replicas)
    {
        V1ObjectMeta owner = deployment.Metadata ?? throw new ArgumentException("The Deployment has no metadata.", nameof(deployment));
        string hash = PodTemplateHash.Compute(deployment.Spec?.Template, deployment.Status?.CollisionCount);
        V1PodTemplateSpec template = ReplicaSetSync.Clone(deployment.Spec?.Template ?? new V1PodTemplateSpec());
        V1ObjectMeta templateMeta = template.Metadata ??= new V1ObjectMeta();
        var labels = new Dictionary<string, string>(templateMeta.Labels ?? new Dictionary<string, string>()) { [PodTemplateHash.Label] = hash };
        templateMeta.Labels = labels;
        V1LabelSelector selector = ReplicaSetSync.Clone(deployment.Spec?.Selector ?? new V1LabelSelector());
        selector.MatchLabels = new Dictionary<string, string>(selector.MatchLabels ?? new Dictionary<string, string>()) { [PodTemplateHash.Label] = hash };
        var annotations = new Dictionary<string, string>(deployment.Metadata?.Annotations ?? new Dictionary<string, string>());
        annotations.Remove("kubectl.kubernetes.io/last-applied-configuration");
        annotations[RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture);
        annotations[DesiredReplicasAnnotation] = (deployment.Spec?.Replicas ?? 1).ToString(CultureInfo.InvariantCulture);
        annotations[MaxReplicasAnnotation] = ((deployment.Spec?.Replicas ?? 1) + MaxSurge(deployment)).ToString(CultureInfo.InvariantCulture);
        return new V1ReplicaSet
        {
            ApiVersion = "apps/v1",
            Kind = "ReplicaSet",
            Metadata = new V1ObjectMeta
            {
                Name = owner.Name + "-" + hash,
                NamespaceProperty = owner.NamespaceProperty,
                Labels = new Dictionary<string, string>(labels),
                Annotations = annotations,
                OwnerReferences = [PodControl.ControllerReference("apps/v1", "Deployment", owner)],
            },
            Spec = new V1ReplicaSetSpec
            {
                Replicas = replicas,
                MinReadySeconds = deployment.Spec?.MinReadySeconds ?? 0,
                Selector = selector,
                Template = template,
            },
        };
    }

    public static bool IsRecreate(V1Deployment deployment) => deployment.Spec?.Strategy?.Type == "Recreate";

    /// <summary>maxSurge resolved against replicas, rounding up (upstream ResolveFenceposts).</summary>
    public static int MaxSurge(V1Deployment deployment) => Fenceposts(deployment).MaxSurge;

    public static (int MaxSurge, int MaxUnavailable) Fenceposts(V1Deployment deployment)
    {
        if (IsRecreate(deployment))
        {
            return (0, 0);
        }

        int replicas = deployment.Spec?.Replicas ?? 1;
        V1RollingUpdateDeployment? rolling = deployment.Spec?.Strategy?.RollingUpdate;
        int surge = Resolve(rolling?.MaxSurge?.Value ?? "25%", replicas, roundUp: true);
        int unavailable = Resolve(rolling?.MaxUnavailable?.Value ?? "25%", replicas, roundUp: false);
        if (surge == 0 && unavailable == 0)
        {
            // Both zero would deadlock the rollout; upstream allows one unavailable pod then.
            unavailable = 1;
        }

        return (surge, Math.Min(unavailable, replicas));
    }

    public static int Resolve(string value, int total, bool roundUp)
    {
        if (value.EndsWith('%'))
        {
            double percent = double.Parse(value[..^1], CultureInfo.InvariantCulture);
            double scaled = percent * total / 100.0;
            return (int)(roundUp ? Math.Ceiling(scaled) : Math.Floor(scaled));
        }

        return int.Parse(value, CultureInfo.InvariantCulture);
    }

    /// <summary>How many replicas the new ReplicaSet may have now: grow towards replicas without exceeding replicas + maxSurge pods in total.</summary>
    public static int NewReplicaSetReplicas(V1Deployment deployment, IReadOnlyCollection<V1ReplicaSet> all, V1ReplicaSet? newRs)
    {
        int replicas = deployment.Spec?.Replicas ?? 1;
        int current = newRs?.Spec?.Replicas ?? 0;
        if (IsRecreate(deployment) || current >= replicas)
        {
            // Recreate scales up only once the old pods are gone (the caller checks); a shrunk Deployment shrinks the new set at once.
            return replicas;
        }

        int total = all.Sum(rs => rs.Spec?.Replicas ?? 0);
        int maxTotal = replicas + MaxSurge(deployment);
        if (total >= maxTotal)
        {
            return current;
        }

        int scaleUp = Math.Min(maxTotal - total, replicas - current);
        return current + scaleUp;
    }

    /// <summary>
    /// New replica counts for old ReplicaSets (upstream reconcileOldReplicaSets): first shed old pods that are not available
    /// (they cost no availability), then scale down available ones as far as minAvailable = replicas - maxUnavailable allows,
    /// counting the new ReplicaSet's unavailable pods against the budget. Oldest ReplicaSets shrink first.
    /// </summary>
    public static Dictionary<string, int> ScaleDownOldReplicaSets(V1Deployment deployment, IReadOnlyCollection<V1ReplicaSet> old, V1ReplicaSet? newRs)
    {
        var result = old.ToDictionary(rs => rs.Metadata.Name, rs => rs.Spec?.Replicas ?? 0, StringComparer.Ordinal);
        int oldPods = old.Sum(rs => rs.Status?.Replicas ?? 0);
        if (oldPods == 0)
        {
            return result;
        }

        int replicas = deployment.Spec?.Replicas ?? 1;
        int minAvailable = replicas - Fenceposts(deployment).MaxUnavailable;
        int newSpec = newRs?.Spec?.Replicas ?? 0;
        int newUnavailable = newSpec - (newRs?.Status?.AvailableReplicas ?? 0);
        int allPods = old.Sum(rs => rs.Spec?.Replicas ?? 0) + newSpec;
        int maxScaledDown = allPods - minAvailable - Math.Max(newUnavailable, 0);
        if (maxScaledDown <= 0)
        {
            return result;
        }

        List<V1ReplicaSet> oldestFirst = [.. old.OrderBy(rs => rs.Metadata?.CreationTimestamp ?? DateTime.MinValue).ThenBy(rs => rs.Metadata?.Name, StringComparer.Ordinal)];

        // Unhealthy old pods first.
        int cleaned = 0;
        foreach (V1ReplicaSet rs in oldestFirst)
        {
            if (cleaned >= maxScaledDown)
            {
                break;
            }

            int spec = result[rs.Metadata.Name];
            int unhealthy = spec - (rs.Status?.AvailableReplicas ?? 0);
            if (spec == 0 || unhealthy <= 0)
            {
                continue;
            }

            int down = Math.Min(Math.Min(unhealthy, maxScaledDown - cleaned), spec);
            result[rs.Metadata.Name] = spec - down;
            cleaned += down;
        }

        // Then available old pods, keeping minAvailable.
        int available = old.Sum(rs => Math.Min(rs.Status?.AvailableReplicas ?? 0, result[rs.Metadata.Name])) + (newRs?.Status?.AvailableReplicas ?? 0);
        int budget = Math.Min(available - minAvailable, maxScaledDown - cleaned);
        foreach (V1ReplicaSet rs in oldestFirst)
        {
            if (budget <= 0)
            {
                break;
            }

            int spec = result[rs.Metadata.Name];
            int down = Math.Min(spec, budget);
            result[rs.Metadata.Name] = spec - down;
            budget -= down;
        }

        return result;
    }

    /// <summary>Old ReplicaSets beyond revisionHistoryLimit, oldest revision first, that are fully scaled down and may be deleted.</summary>
    public static List<V1ReplicaSet> ReplicaSetsToCleanUp(V1Deployment deployment, IReadOnlyCollection<V1ReplicaSet> old)
    {
        int limit = deployment.Spec?.RevisionHistoryLimit ?? 10;
        List<V1ReplicaSet> candidates = [.. old
            .Where(rs => (rs.Spec?.Replicas ?? 0) == 0 && (rs.Status?.Replicas ?? 0) == 0 && rs.Metadata?.DeletionTimestamp is null)
            .OrderBy(Revision)
            .ThenBy(rs => rs.Metadata?.CreationTimestamp ?? DateTime.MinValue)];
        int excess = candidates.Count - limit;
        return excess > 0 ? candidates.Take(excess).ToList() : [];
    }
}
