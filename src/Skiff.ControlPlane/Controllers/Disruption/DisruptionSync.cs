using System.Globalization;
using k8s.Models;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Controllers.Disruption;

/// <summary>
/// The pure part of the disruption controller (upstream pkg/controller/disruption): which pods a PodDisruptionBudget
/// covers, how many must stay healthy, and the status that tells the eviction subresource how many may go now.
/// </summary>
internal static class DisruptionSync
{
    public const string DisruptionAllowedCondition = "DisruptionAllowed";
    public const string SufficientPodsReason = "SufficientPods";
    public const string InsufficientPodsReason = "InsufficientPods";
    public const string SyncFailedReason = "SyncFailed";

    /// <summary>
    /// How long an eviction the API server admitted (listed in status.disruptedPods) keeps the pod from counting as healthy
    /// while the pod has not yet been marked for deletion (upstream's DeletionTimeout).
    /// </summary>
    public static readonly TimeSpan DeletionTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The namespace's pods the budget selects; a missing selector selects none, an empty one all (policy/v1).</summary>
    public static List<V1Pod> SelectPods(V1PodDisruptionBudget pdb, IEnumerable<V1Pod> namespacePods)
    {
        if (pdb.Spec?.Selector is not { } selector)
        {
            return [];
        }

        LabelSelector parsed = LabelSelector.FromModel(selector);
        return [.. namespacePods.Where(p => parsed.Matches(p.Metadata?.Labels as IReadOnlyDictionary<string, string>))];
    }

    /// <summary>Whether the count of pods expected comes from the pods' controllers (maxUnavailable, or a percentage).</summary>
    public static bool NeedsControllerScale(V1PodDisruptionBudget pdb) =>
        pdb.Spec?.MaxUnavailable is not null || IsPercent(pdb.Spec?.MinAvailable?.Value);

    /// <summary>
    /// expectedPods and desiredHealthy: minAvailable as a number needs that many of the pods there are; a percentage or
    /// maxUnavailable is taken of <paramref name="controllerScale"/>, the replicas the pods' controllers ask for (rounded up,
    /// as upstream does, so the budget errs towards keeping pods).
    /// </summary>
    public static (int Expected, int DesiredHealthy) Desired(V1PodDisruptionBudget pdb, int podCount, int controllerScale)
    {
        if (pdb.Spec?.MaxUnavailable?.Value is { } maxUnavailable)
        {
            int unavailable = Scaled(maxUnavailable, controllerScale);
            return (controllerScale, Math.Max(0, controllerScale - unavailable));
        }

        string? minAvailable = pdb.Spec?.MinAvailable?.Value;
        if (IsPercent(minAvailable))
        {
            return (controllerScale, Scaled(minAvailable!, controllerScale));
        }

        return (podCount, minAvailable is null ? 0 : Scaled(minAvailable, podCount));
    }

    /// <summary>
    /// The status for a successful sync: healthy pods are Ready, not being deleted, and not recently evicted; evictions
    /// whose pods are gone, being deleted, or older than <see cref="DeletionTimeout"/> leave disruptedPods.
    /// <paramref name="recheckAt"/> is when the oldest remaining eviction expires.
    /// </summary>
    public static V1PodDisruptionBudgetStatus ComputeStatus(
        V1PodDisruptionBudget pdb, IReadOnlyCollection<V1Pod> pods, int expected, int desiredHealthy, DateTimeOffset now, out DateTimeOffset? recheckAt)
    {
        recheckAt = null;
        var disrupted = new Dictionary<string, DateTime?>(StringComparer.Ordinal);
        IDictionary<string, DateTime?> previous = pdb.Status?.DisruptedPods ?? new Dictionary<string, DateTime?>();
        foreach (V1Pod pod in pods)
        {
            string name = pod.Metadata?.Name ?? string.Empty;
            if (pod.Metadata?.DeletionTimestamp is not null || !previous.TryGetValue(name, out DateTime? maybeSince) || maybeSince is not { } since)
            {
                continue;
            }

            DateTimeOffset expires = new DateTimeOffset(DateTime.SpecifyKind(since, DateTimeKind.Utc)).Add(DeletionTimeout);
            if (expires > now)
            {
                disrupted[name] = since;
                recheckAt = recheckAt is { } earlier && earlier < expires ? earlier : expires;
            }
        }

        int healthy = pods.Count(p => p.Metadata?.DeletionTimestamp is null && !disrupted.ContainsKey(p.Metadata?.Name ?? string.Empty) && PodControl.IsReady(p));
        int allowed = expected <= 0 ? 0 : Math.Max(0, healthy - desiredHealthy);
        var status = new V1PodDisruptionBudgetStatus
        {
            CurrentHealthy = healthy,
            DesiredHealthy = desiredHealthy,
            ExpectedPods = expected,
            DisruptionsAllowed = allowed,
            DisruptedPods = disrupted.Count == 0 ? null : disrupted,
            ObservedGeneration = pdb.Metadata?.Generation,
        };
        status.Conditions = WithCondition(pdb.Status?.Conditions, allowed > 0 ? "True" : "False", allowed > 0 ? SufficientPodsReason : InsufficientPodsReason, string.Empty, now);
        return status;
    }

    /// <summary>A sync that could not compute the budget allows no disruption and says why (upstream's failSafe).</summary>
    public static V1PodDisruptionBudgetStatus FailSafe(V1PodDisruptionBudget pdb, string message, DateTimeOffset now)
    {
        V1PodDisruptionBudgetStatus status = pdb.Status is null ? new V1PodDisruptionBudgetStatus() : ReplicaSetSync.Clone(pdb.Status);
        status.DisruptionsAllowed = 0;
        status.Conditions = WithCondition(pdb.Status?.Conditions, "False", SyncFailedReason, message, now);
        return status;
    }

    public static bool StatusEquals(V1PodDisruptionBudgetStatus? a, V1PodDisruptionBudgetStatus b) =>
        a is not null
        && a.CurrentHealthy == b.CurrentHealthy
        && a.DesiredHealthy == b.DesiredHealthy
        && a.ExpectedPods == b.ExpectedPods
        && a.DisruptionsAllowed == b.DisruptionsAllowed
        && a.ObservedGeneration == b.ObservedGeneration
        && (a.DisruptedPods?.Count ?? 0) == (b.DisruptedPods?.Count ?? 0)
        && (b.DisruptedPods ?? new Dictionary<string, DateTime?>()).All(p => a.DisruptedPods!.TryGetValue(p.Key, out DateTime? t) && t == p.Value)
        && Condition(a.Conditions) is { } ca && Condition(b.Conditions) is { } cb
        && (ca.Status, ca.Reason, ca.Message ?? string.Empty) == (cb.Status, cb.Reason, cb.Message ?? string.Empty);

    private static V1Condition? Condition(IList<V1Condition>? conditions) =>
        conditions?.FirstOrDefault(c => c?.Type == DisruptionAllowedCondition);

    // Like apimachinery's SetStatusCondition: the transition time moves only when the status does.
    private static List<V1Condition> WithCondition(IList<V1Condition>? existing, string status, string reason, string message, DateTimeOffset now)
    {
        List<V1Condition> conditions = [.. (existing ?? []).Where(c => c is not null && c.Type != DisruptionAllowedCondition)];
        V1Condition? old = Condition(existing);
        DateTime at = old?.Status == status ? old.LastTransitionTime : now.UtcDateTime.AddTicks(-(now.UtcDateTime.Ticks % TimeSpan.TicksPerSecond));
        conditions.Add(new V1Condition { Type = DisruptionAllowedCondition, Status = status, Reason = reason, Message = message, LastTransitionTime = at, ObservedGeneration = old?.ObservedGeneration });
        return conditions;
    }

    private static bool IsPercent(string? value) => value?.EndsWith('%') == true;

    private static int Scaled(string value, int total)
    {
        if (IsPercent(value))
        {
            int percent = int.Parse(value[..^1], NumberStyles.None, CultureInfo.InvariantCulture);
            return (int)(((long)percent * total + 99) / 100);
        }

        return int.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }
}
