using System.Globalization;
using k8s.Models;
using Skiff.ControlPlane.Controllers.Job;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Events;

namespace Skiff.ControlPlane.Controllers.CronJob;

/// <summary>The pure half of a CronJob sync (upstream pkg/controller/cronjob, v2): given the CronJob, its Jobs and the time, what to do.</summary>
internal static class CronJobSync
{
    public const string ScheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp";

    /// <summary>Requeues land a little after the start time, so the start time is already in the past when the sync runs.</summary>
    public static readonly TimeSpan NextScheduleDelta = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Decides one sync. <paramref name="missingJobUids"/> are active references whose Job the API confirmed gone. The returned
    /// status already reflects everything except the outcome of the create (the controller adds the created Job).
    /// </summary>
    public static CronJobDecision Decide(V1CronJob cronJob, IReadOnlyList<V1Job> jobs, IReadOnlySet<string> missingJobUids, DateTimeOffset now, TimeZoneInfo localZone)
    {
        ArgumentNullException.ThrowIfNull(cronJob);
        ArgumentNullException.ThrowIfNull(jobs);
        V1CronJobStatus status = cronJob.Status is null ? new V1CronJobStatus() : ReplicaSetSync.Clone(cronJob.Status);
        status.Active ??= [];
        var decision = new CronJobDecision { Status = status };

        CleanupFinishedJobs(cronJob, jobs, decision);
        ReconcileActive(jobs, missingJobUids, decision);
        if (cronJob.Metadata?.DeletionTimestamp is not null)
        {
            return decision;
        }

        V1CronJobSpec spec = cronJob.Spec ?? new V1CronJobSpec();
        if (!string.IsNullOrEmpty(spec.TimeZone) && !CronSchedule.TryFindZone(spec.TimeZone, out _, out string? zoneError))
        {
            decision.Events.Add(new(EventTypes.Warning, "UnknownTimeZone", $"invalid timeZone: \"{spec.TimeZone}\": {zoneError}"));
            return decision;
        }

        if (spec.Suspend == true)
        {
            return decision;
        }

        if (spec.Schedule?.Contains("TZ", StringComparison.Ordinal) == true)
        {
            decision.Events.Add(new(EventTypes.Warning, "UnsupportedSchedule", $"CRON_TZ or TZ used in schedule \"{spec.Schedule}\" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details"));
        }

        if (!CronSchedule.TryParse(spec.Schedule, spec.TimeZone, localZone, out CronSchedule? schedule, out string? parseError))
        {
            decision.Events.Add(new(EventTypes.Warning, "UnparseableSchedule", $"unparseable schedule: \"{spec.Schedule}\" : {parseError}"));
            return decision;
        }

        DateTimeOffset lastKnown = Utc(status.LastScheduleTime) ?? Utc(cronJob.Metadata?.CreationTimestamp) ?? now;
        DateTimeOffset earliest = lastKnown;
        if (spec.StartingDeadlineSeconds is { } deadline && now.AddSeconds(-deadline) > earliest)
        {
            // Nothing older than the deadline can still start, so there is no point looking further back.
            earliest = now.AddSeconds(-deadline);
        }

        (DateTimeOffset? mostRecent, long missed) = schedule.MostRecent(earliest, now);
        if (missed > CronSchedule.MaxMissedStartTimes)
        {
            decision.Events.Add(new(EventTypes.Warning, "TooManyMissedTimes", $"too many missed start times: {missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew"));
        }

        decision.RequeueAfter = NextRequeue(schedule, now);
        if (mostRecent is not { } scheduled)
        {
            // A start time since the last one that the deadline no longer allows (e.g. held back by Forbid, or the controller
            // was down) is reported, so the user sees why no Job came.
            if (earliest > lastKnown && schedule.MostRecent(lastKnown, now).MostRecent is { } late)
            {
                decision.Events.Add(MissSchedule(late));
            }

            return decision;
        }

        if (spec.StartingDeadlineSeconds is { } startingDeadline && scheduled.AddSeconds(startingDeadline) < now)
        {
            decision.Events.Add(MissSchedule(scheduled));
            return decision;
        }

        string name = JobName(cronJob, scheduled);
        if (status.Active.Any(a => a.Name == name) || (Utc(status.LastScheduleTime) is { } last && last == scheduled))
        {
            return decision;
        }

        if (spec.ConcurrencyPolicy == "Forbid" && status.Active.Count > 0)
        {
            decision.Events.Add(new(EventTypes.Normal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid"));
            return decision;
        }

        if (spec.ConcurrencyPolicy == "Replace")
        {
            decision.DeleteForReplace.AddRange(status.Active);
            status.Active = [];
            decision.StatusChanged |= decision.DeleteForReplace.Count > 0;
        }

        decision.Create = JobFromTemplate(cronJob, scheduled);
        decision.ScheduledTime = scheduled;
        return decision;
    }

    /// <summary>Upstream's deterministic name, the lock against creating one start time twice: the scheduled time in Unix minutes.</summary>
    public static string JobName(V1CronJob cronJob, DateTimeOffset scheduled) =>
        cronJob.Metadata.Name + "-" + (scheduled.ToUnixTimeSeconds() / 60).ToString(CultureInfo.InvariantCulture);

    public static V1Job JobFromTemplate(V1CronJob cronJob, DateTimeOffset scheduled)
    {
        V1JobTemplateSpec template = cronJob.Spec?.JobTemplate ?? new V1JobTemplateSpec();
        var annotations = template.Metadata?.Annotations is { } a ? new Dictionary<string, string>(a) : new Dictionary<string, string>();
        annotations[ScheduledTimestampAnnotation] = Rfc3339(scheduled);
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta
            {
                Name = JobName(cronJob, scheduled),
                NamespaceProperty = cronJob.Metadata.NamespaceProperty,
                Labels = template.Metadata?.Labels is { } labels ? new Dictionary<string, string>(labels) : null,
                Annotations = annotations,
                OwnerReferences = [PodControl.ControllerReference("batch/v1", "CronJob", cronJob.Metadata)],
            },
            Spec = template.Spec is null ? new V1JobSpec() : ReplicaSetSync.Clone(template.Spec),
        };
    }

    public static V1ObjectReference Reference(V1Job job) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Name = job.Metadata.Name,
        NamespaceProperty = job.Metadata.NamespaceProperty,
        Uid = job.Metadata.Uid,
        ResourceVersion = job.Metadata.ResourceVersion,
    };

    /// <summary>Go's RFC 3339 in the schedule's zone: "Z" for UTC, otherwise the offset.</summary>
    public static string Rfc3339(DateTimeOffset time) =>
        time.Offset == TimeSpan.Zero
            ? time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : time.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static CronJobEvent MissSchedule(DateTimeOffset scheduled) =>
        new(EventTypes.Warning, "MissSchedule", "Missed scheduled time to start a job: " + scheduled.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture));

    private static TimeSpan? NextRequeue(CronSchedule schedule, DateTimeOffset now) =>
        schedule.Next(now) is { } next ? next - now + NextScheduleDelta : null;

    private static void CleanupFinishedJobs(V1CronJob cronJob, IReadOnlyList<V1Job> jobs, CronJobDecision decision)
    {
        int? successfulLimit = cronJob.Spec?.SuccessfulJobsHistoryLimit;
        int? failedLimit = cronJob.Spec?.FailedJobsHistoryLimit;
        if (successfulLimit is { } keepSucceeded)
        {
            decision.DeleteForHistory.AddRange(Oldest(jobs.Where(j => JobSync.FinishedCondition(j)?.Type == JobSync.Complete), keepSucceeded));
        }

        if (failedLimit is { } keepFailed)
        {
            decision.DeleteForHistory.AddRange(Oldest(jobs.Where(j => JobSync.FinishedCondition(j)?.Type == JobSync.Failed), keepFailed));
        }
    }

    // Oldest by status.startTime (never-started last), then name, as upstream's byJobStartTime.
    private static IEnumerable<V1Job> Oldest(IEnumerable<V1Job> jobs, int keep)
    {
        List<V1Job> sorted = [.. jobs
            .OrderBy(j => j.Status?.StartTime is null ? 1 : 0)
            .ThenBy(j => j.Status?.StartTime ?? DateTime.MaxValue)
            .ThenBy(j => j.Metadata.Name, StringComparer.Ordinal)];
        return sorted.Take(Math.Max(0, sorted.Count - Math.Max(0, keep)));
    }

    private static void ReconcileActive(IReadOnlyList<V1Job> jobs, IReadOnlySet<string> missingJobUids, CronJobDecision decision)
    {
        V1CronJobStatus status = decision.Status;
        foreach (V1Job job in jobs)
        {
            bool found = status.Active.Any(a => a.Uid == job.Metadata.Uid);
            V1JobCondition? finished = JobSync.FinishedCondition(job);
            if (!found && finished is null)
            {
                decision.Events.Add(new(EventTypes.Warning, "UnexpectedJob", "Saw a job that the controller did not create or forgot: " + job.Metadata.Name));
            }
            else if (finished is not null)
            {
                if (found)
                {
                    status.Active = [.. status.Active.Where(a => a.Uid != job.Metadata.Uid)];
                    decision.Events.Add(new(EventTypes.Normal, "SawCompletedJob", $"Saw completed job: {job.Metadata.Name}, condition: {finished.Type}"));
                    decision.StatusChanged = true;
                }

                if (finished.Type == JobSync.Complete && job.Status?.CompletionTime is { } completion
                    && (status.LastSuccessfulTime is null || completion > status.LastSuccessfulTime))
                {
                    status.LastSuccessfulTime = completion;
                    decision.StatusChanged = true;
                }
            }
        }

        foreach (V1ObjectReference missing in status.Active.Where(a => a.Uid is not null && missingJobUids.Contains(a.Uid)).ToList())
        {
            decision.Events.Add(new(EventTypes.Normal, "MissingJob", "Active job went missing: " + missing.Name));
            status.Active.Remove(missing);
            decision.StatusChanged = true;
        }
    }

    private static DateTimeOffset? Utc(DateTime? time) =>
        time is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
}
