using k8s.Models;

namespace Skiff.ControlPlane.Controllers.Deployment;

/// <summary>
/// The Deployment status kubectl reads (KUBECTL.md §3): counts summed over the ReplicaSets, and the Available and Progressing
/// conditions with upstream's reasons. Times are whole seconds, as metav1.Time serialises them.
/// </summary>
internal static class DeploymentStatusCalculator
{
    public const string Available = "Available";
    public const string Progressing = "Progressing";

    public static V1DeploymentStatus Compute(V1Deployment deployment, IReadOnlyCollection<V1ReplicaSet> all, V1ReplicaSet? newRs, DateTimeOffset now)
    {
        int replicas = deployment.Spec?.Replicas ?? 1;
        int available = all.Sum(rs => rs.Status?.AvailableReplicas ?? 0);
        var status = new V1DeploymentStatus
        {
            ObservedGeneration = deployment.Metadata?.Generation,
            Replicas = all.Sum(rs => rs.Status?.Replicas ?? 0),
            UpdatedReplicas = newRs?.Status?.Replicas ?? 0,
            ReadyReplicas = all.Sum(rs => rs.Status?.ReadyReplicas ?? 0),
            AvailableReplicas = available,
            UnavailableReplicas = Math.Max(replicas - available, 0),
            CollisionCount = deployment.Status?.CollisionCount,
            Conditions = [.. (deployment.Status?.Conditions ?? []).Select(c => c)],
        };

        DateTime time = Truncate(now);
        int minAvailable = replicas - DeploymentSync.Fenceposts(deployment).MaxUnavailable;
        if (available >= minAvailable)
        {
            Set(status, Available, "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", time, progressed: false);
        }
        else
        {
            Set(status, Available, "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", time, progressed: false);
        }

        bool progressed = deployment.Status is not { } old
            || old.UpdatedReplicas != status.UpdatedReplicas || old.AvailableReplicas != status.AvailableReplicas
            || old.ReadyReplicas != status.ReadyReplicas || old.Replicas != status.Replicas;
        string rsName = newRs?.Metadata?.Name ?? string.Empty;
        if (deployment.Spec?.Paused == true)
        {
            Set(status, Progressing, "Unknown", "DeploymentPaused", "Deployment is paused", time, progressed: true);
        }
        else if (IsComplete(deployment, status))
        {
            Set(status, Progressing, "True", "NewReplicaSetAvailable", $"ReplicaSet \"{rsName}\" has successfully progressed.", time, progressed);
        }
        else if (Find(status, Progressing) is { Reason: "ProgressDeadlineExceeded" } && !progressed)
        {
            // Stays failed until the rollout moves again.
        }
        else if (!progressed && Find(status, Progressing) is { LastUpdateTime: { } last } && deployment.Spec?.ProgressDeadlineSeconds is int deadline
            && new DateTimeOffset(DateTime.SpecifyKind(last, DateTimeKind.Utc)).AddSeconds(deadline) < now)
        {
            Set(status, Progressing, "False", "ProgressDeadlineExceeded", $"ReplicaSet \"{rsName}\" has timed out progressing.", time, progressed: true);
        }
        else
        {
            Set(status, Progressing, "True", "ReplicaSetUpdated", $"ReplicaSet \"{rsName}\" is progressing.", time, progressed);
        }

        return status;
    }

    /// <summary>What <c>kubectl rollout status</c> waits for.</summary>
    public static bool IsComplete(V1Deployment deployment, V1DeploymentStatus status)
    {
        int replicas = deployment.Spec?.Replicas ?? 1;
        return status.UpdatedReplicas == replicas && status.Replicas == replicas && status.AvailableReplicas >= replicas
            && status.ObservedGeneration >= (deployment.Metadata?.Generation ?? 0);
    }

    public static bool Equal(V1DeploymentStatus? a, V1DeploymentStatus b)
    {
        if (a is null)
        {
            return false;
        }

        bool counts = (a.ObservedGeneration, a.Replicas ?? 0, a.UpdatedReplicas ?? 0, a.ReadyReplicas ?? 0, a.AvailableReplicas ?? 0, a.UnavailableReplicas ?? 0)
            == (b.ObservedGeneration, b.Replicas ?? 0, b.UpdatedReplicas ?? 0, b.ReadyReplicas ?? 0, b.AvailableReplicas ?? 0, b.UnavailableReplicas ?? 0);
        List<V1DeploymentCondition> ca = [.. a.Conditions ?? []];
        List<V1DeploymentCondition> cb = [.. b.Conditions ?? []];
        return counts && ca.Count == cb.Count && ca.Zip(cb).All(p =>
            p.First.Type == p.Second.Type && p.First.Status == p.Second.Status && p.First.Reason == p.Second.Reason
            && p.First.Message == p.Second.Message && p.First.LastUpdateTime == p.Second.LastUpdateTime);
    }

    public static V1DeploymentCondition? Find(V1DeploymentStatus status, string type) =>
        status.Conditions?.FirstOrDefault(c => c.Type == type);

    // A condition keeps its lastTransitionTime while its status holds; lastUpdateTime moves when the reason changes or the
    // rollout progressed, which is what the progress deadline is measured from.
    private static void Set(V1DeploymentStatus status, string type, string value, string reason, string message, DateTime time, bool progressed)
    {
        V1DeploymentCondition? existing = Find(status, type);
        var condition = new V1DeploymentCondition
        {
            Type = type,
            Status = value,
            Reason = reason,
            Message = message,
            LastTransitionTime = existing is not null && existing.Status == value ? existing.LastTransitionTime : time,
            LastUpdateTime = existing is not null && existing.Status == value && existing.Reason == reason && !progressed ? existing.LastUpdateTime : time,
        };
        List<V1DeploymentCondition> conditions = [.. (status.Conditions ?? []).Where(c => c.Type != type)];
        int index = type == Available ? 0 : conditions.Count;
        conditions.Insert(Math.Min(index, conditions.Count), condition);
        status.Conditions = conditions;
    }

    private static DateTime Truncate(DateTimeOffset now) =>
        new(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}
