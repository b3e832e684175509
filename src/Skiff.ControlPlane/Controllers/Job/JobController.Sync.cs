using k8s.Models;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Json;

namespace Skiff.ControlPlane.Controllers.Job;

public sealed partial class JobController
{
    private const string BackoffLimitMessage = "Job has reached the specified backoff limit";
    private const string DeadlineMessage = "Job was active longer than specified deadline";
    private const string CompletionsMessage = "Reached expected number of succeeded pods";

    /// <summary>
    /// One sync of an unfinished Job: count newly finished pods, decide the outcome, delete or create pods, then write status in
    /// the upstream order (uids into uncountedTerminatedPods, finalizers removed, uids into the counts, then Complete/Failed).
    /// </summary>
    private async Task SyncAsync(string key, V1Job job, List<V1Pod> pods, CancellationToken cancellationToken)
    {
        DateTimeOffset now = TimeProvider.GetUtcNow();
        DateTime stamp = JobSync.Truncate(now);
        V1JobStatus previous = job.Status ?? new V1JobStatus();
        V1JobStatus status = ReplicaSetSync.Clone(previous);
        bool indexed = JobSync.IsIndexed(job);
        bool suspended = JobSync.IsSuspended(job);
        int completions = job.Spec?.Completions ?? 0;
        var uncountedSucceeded = new List<string>(previous.UncountedTerminatedPods?.Succeeded ?? []);
        var uncountedFailed = new List<string>(previous.UncountedTerminatedPods?.Failed ?? []);
        SortedSet<int> completed = indexed ? CompletedIndexes.Parse(previous.CompletedIndexes, completions) : [];
        var release = new List<V1Pod>();
        bool newFailures = false;

        foreach (V1Pod pod in pods.Where(p => JobSync.HasTrackingFinalizer(p) && !_finalizerRemovals.ContainsKey(p.Metadata.Uid)))
        {
            string uid = pod.Metadata.Uid;
            if (JobSync.IsSucceeded(pod) && !uncountedFailed.Contains(uid))
            {
                release.Add(pod);
                if (indexed)
                {
                    // The index is the record for Indexed Jobs: a second success of the same index counts once.
                    if (JobSync.CompletionIndex(pod) is { } index && index < completions)
                    {
                        completed.Add(index);
                    }
                }
                else if (!uncountedSucceeded.Contains(uid))
                {
                    uncountedSucceeded.Add(uid);
                }
            }
            else if (JobSync.IsFailed(pod, job) && !(suspended && pod.Status?.Phase != "Failed"))
            {
                release.Add(pod);
                if (!uncountedSucceeded.Contains(uid) && !uncountedFailed.Contains(uid))
                {
                    uncountedFailed.Add(uid);
                    newFailures = true;
                }
            }
            else if (suspended && JobSync.IsTerminating(pod))
            {
                // Stopped by suspension, not failed: released uncounted.
                release.Add(pod);
            }
        }

        if (newFailures)
        {
            _lastFailure[job.Metadata.Uid] = now;
        }

        int succeeded = indexed ? completed.Count : (previous.Succeeded ?? 0) + uncountedSucceeded.Count;
        int failed = (previous.Failed ?? 0) + uncountedFailed.Count;
        List<V1Pod> active = [.. pods.Where(PodControl.IsActive)];
        (string Type, string Reason, string Message)? outcome = DecideOutcome(job, previous, indexed, completions, completed, succeeded, failed, active.Count, now);

        TimeSpan? requeue = null;
        int created = 0;
        Exception? manageFailure = null;
        if (outcome is not null)
        {
            // A decided Job stops its running pods; they count as failed, as upstream counts every unfinished pod of a finished Job.
            foreach (V1Pod pod in active.Where(p => JobSync.HasTrackingFinalizer(p) && !_finalizerRemovals.ContainsKey(p.Metadata.Uid)))
            {
                release.Add(pod);
                if (!uncountedFailed.Contains(pod.Metadata.Uid))
                {
                    uncountedFailed.Add(pod.Metadata.Uid);
                }
            }

            await DeletePodsAsync(key, job, active, cancellationToken).ConfigureAwait(false);
            active.Clear();
        }
        else if (suspended)
        {
            release.AddRange(active.Where(p => JobSync.HasTrackingFinalizer(p) && !_finalizerRemovals.ContainsKey(p.Metadata.Uid)));
            await DeletePodsAsync(key, job, active, cancellationToken).ConfigureAwait(false);
            active.Clear();
        }
        else if (_expectations.IsSatisfied(key))
        {
            try
            {
                (requeue, created) = await ManagePodsAsync(key, job, active, pods.Count(JobSync.IsTerminating), completed, succeeded, now, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Finished pods are still counted and released (a terminating namespace refuses new pods, yet must be emptied);
                // the failure is rethrown at the end so the sync is retried.
                manageFailure = e;
            }
        }

        UpdateSuspension(job, status, suspended, stamp);
        if (!suspended && outcome is null)
        {
            status.StartTime ??= stamp;
        }

        status.Active = NullIfZero(active.Count + created);
        status.Ready = active.Count(PodControl.IsReady);
        status.Terminating = pods.Count(JobSync.IsTerminating);
        status.UncountedTerminatedPods = new V1UncountedTerminatedPods
        {
            Succeeded = uncountedSucceeded.Count == 0 ? null : uncountedSucceeded,
            Failed = uncountedFailed.Count == 0 ? null : uncountedFailed,
        };
        if (indexed)
        {
            status.CompletedIndexes = CompletedIndexes.Format(completed);
            status.Succeeded = NullIfZero(completed.Count);
        }

        if (outcome is { } decided)
        {
            JobSync.SetCondition(status, decided.Type, "True", decided.Reason, decided.Message, stamp);
        }

        V1Job current = job;
        if (!SameStatus(previous, status))
        {
            current = await WriteStatusAsync(job, status, cancellationToken).ConfigureAwait(false);
        }

        Exception? releaseFailure = null;
        HashSet<string> released = [];
        try
        {
            released = await RemoveFinalizersAsync(release, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            releaseFailure = e;
            released = [.. release.Where(p => !_finalizerRemovals.ContainsKey(p.Metadata.Uid) && !JobSync.HasTrackingFinalizer(p)).Select(p => p.Metadata.Uid)];
        }

        await CountReleasedAsync(current, pods, released, outcome, stamp, cancellationToken).ConfigureAwait(false);

        if (manageFailure is not null)
        {
            throw new InvalidOperationException("Creating or deleting the Job's pods failed.", manageFailure);
        }

        if (releaseFailure is not null)
        {
            throw releaseFailure;
        }

        if (outcome is null && !suspended && job.Spec?.ActiveDeadlineSeconds is { } deadline && (current.Status?.StartTime ?? status.StartTime) is { } started)
        {
            TimeSpan left = DateTime.SpecifyKind(started, DateTimeKind.Utc).AddSeconds(deadline) - now.UtcDateTime;
            requeue = requeue is { } r && r < left ? r : left;
        }

        if (requeue is { } delay)
        {
            Queue.AddAfter(key, delay < TimeSpan.Zero ? TimeSpan.Zero : delay + TimeSpan.FromMilliseconds(100));
        }
    }

    private static (string Type, string Reason, string Message)? DecideOutcome(
        V1Job job, V1JobStatus previous, bool indexed, int completions, SortedSet<int> completed, int succeeded, int failed, int active, DateTimeOffset now)
    {
        if (JobSync.TargetCondition(job) is { } target)
        {
            return (target.Type, target.Reason ?? string.Empty, target.Message ?? string.Empty);
        }

        if (failed > (job.Spec?.BackoffLimit ?? 6))
        {
            return (JobSync.FailureTarget, JobSync.BackoffLimitExceeded, BackoffLimitMessage);
        }

        if (!JobSync.IsSuspended(job) && job.Spec?.ActiveDeadlineSeconds is { } deadline && previous.StartTime is { } started
            && now.UtcDateTime >= DateTime.SpecifyKind(started, DateTimeKind.Utc).AddSeconds(deadline))
        {
            return (JobSync.FailureTarget, JobSync.DeadlineExceeded, DeadlineMessage);
        }

        bool complete = indexed
            ? completed.Count >= completions
            : job.Spec?.Completions is { } wanted ? succeeded >= wanted : succeeded > 0 && active == 0;
        return complete ? (JobSync.SuccessCriteriaMet, JobSync.CompletionsReached, CompletionsMessage) : null;
    }

    /// <summary>
    /// Creates missing pods and deletes surplus ones; returns how many were created, and when to look again if the failure
    /// back-off held creates back.
    /// </summary>
    private async Task<(TimeSpan? Requeue, int Created)> ManagePodsAsync(
        string key, V1Job job, List<V1Pod> active, int terminating, SortedSet<int> completed, int succeeded, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // podReplacementPolicy Failed: a pod still terminating keeps its slot until it has really stopped.
        int occupied = job.Spec?.PodReplacementPolicy == "Failed" ? terminating : 0;
        var surplus = new List<V1Pod>();
        var toStart = new List<int?>();
        int parallelism = Math.Max(0, job.Spec?.Parallelism ?? 1);
        if (JobSync.IsIndexed(job))
        {
            int completions = job.Spec?.Completions ?? 0;
            var running = new HashSet<int>();
            var kept = new List<V1Pod>();
            foreach (V1Pod pod in active.OrderBy(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(p => p.Metadata.Name, StringComparer.Ordinal))
            {
                // Out of range, already completed, or a duplicate of a running index: not needed.
                if (JobSync.CompletionIndex(pod) is { } index && index < completions && !completed.Contains(index) && running.Add(index))
                {
                    kept.Add(pod);
                }
                else
                {
                    surplus.Add(pod);
                }
            }

            if (kept.Count > parallelism)
            {
                surplus.AddRange(kept.OrderByDescending(p => JobSync.CompletionIndex(p)).Take(kept.Count - parallelism));
            }

            toStart.AddRange(JobSync.IndexesToStart(job, completed, running, active.Count - surplus.Count + occupied).Select(i => (int?)i));
        }
        else
        {
            int diff = JobSync.WantActive(job, succeeded, active.Count) - active.Count;
            diff = Math.Clamp(diff > 0 ? Math.Max(0, diff - occupied) : diff, -JobSync.BurstPods, JobSync.BurstPods);
            if (diff < 0)
            {
                surplus.AddRange(PodControl.RankForDeletion(active).Take(-diff));
            }
            else
            {
                toStart.AddRange(Enumerable.Repeat<int?>(null, diff));
            }
        }

        if (surplus.Count > 0)
        {
            await DeletePodsAsync(key, job, surplus, cancellationToken).ConfigureAwait(false);
            active.RemoveAll(surplus.Contains);
        }

        if (toStart.Count == 0)
        {
            return (null, 0);
        }

        TimeSpan backoff = JobSync.FailureBackoff(_podFailureBackoff, (job.Status?.Failed ?? 0) + (job.Status?.UncountedTerminatedPods?.Failed?.Count ?? 0));
        if (backoff > TimeSpan.Zero && _lastFailure.TryGetValue(job.Metadata.Uid, out DateTimeOffset lastFailure) && now < lastFailure + backoff)
        {
            return (lastFailure + backoff - now, 0);
        }

        await CreatePodsAsync(key, job, toStart, cancellationToken).ConfigureAwait(false);
        return (null, toStart.Count);
    }

    private void UpdateSuspension(V1Job job, V1JobStatus status, bool suspended, DateTime stamp)
    {
        bool wasSuspended = status.Conditions?.Any(c => c.Type == JobSync.Suspended && c.Status == "True") == true;
        if (suspended && !wasSuspended)
        {
            JobSync.SetCondition(status, JobSync.Suspended, "True", "JobSuspended", "Job suspended", stamp);
            status.StartTime = null;
            _events.Record(job, EventTypes.Normal, "Suspended", "Job suspended");
        }
        else if (!suspended && wasSuspended)
        {
            JobSync.SetCondition(status, JobSync.Suspended, "False", "JobResumed", "Job resumed", stamp);
            status.StartTime = stamp;
            _events.Record(job, EventTypes.Normal, "Resumed", "Job resumed");
        }
    }

    /// <summary>
    /// Moves uids out of uncountedTerminatedPods once their pods no longer carry the finalizer (or are gone), and when nothing
    /// is left uncounted, turns a decided outcome into the final Complete or Failed condition.
    /// </summary>
    private async Task CountReleasedAsync(V1Job job, List<V1Pod> pods, HashSet<string> released, (string Type, string Reason, string Message)? outcome, DateTime stamp, CancellationToken cancellationToken)
    {
        V1JobStatus previous = job.Status ?? new V1JobStatus();
        V1JobStatus status = ReplicaSetSync.Clone(previous);
        var byUid = pods.ToDictionary(p => p.Metadata.Uid, StringComparer.Ordinal);
        bool Gone(string uid) => released.Contains(uid) || !byUid.TryGetValue(uid, out V1Pod? pod) || !JobSync.HasTrackingFinalizer(pod);

        List<string> succeeded = [.. previous.UncountedTerminatedPods?.Succeeded ?? []];
        List<string> failed = [.. previous.UncountedTerminatedPods?.Failed ?? []];
        int countedSucceeded = succeeded.RemoveAll(Gone);
        int countedFailed = failed.RemoveAll(Gone);
        status.Succeeded = NullIfZero((previous.Succeeded ?? 0) + countedSucceeded);
        status.Failed = NullIfZero((previous.Failed ?? 0) + countedFailed);
        status.UncountedTerminatedPods = new V1UncountedTerminatedPods
        {
            Succeeded = succeeded.Count == 0 ? null : succeeded,
            Failed = failed.Count == 0 ? null : failed,
        };

        bool finishing = outcome is not null && succeeded.Count == 0 && failed.Count == 0;
        if (finishing && outcome is { } decided)
        {
            if (decided.Type == JobSync.SuccessCriteriaMet)
            {
                JobSync.SetCondition(status, JobSync.Complete, "True", decided.Reason, decided.Message, stamp);
                status.CompletionTime = stamp;
            }
            else
            {
                JobSync.SetCondition(status, JobSync.Failed, "True", decided.Reason, decided.Message, stamp);
            }

            status.Active = null;
            status.Ready = 0;
        }

        if (SameStatus(previous, status))
        {
            return;
        }

        await WriteStatusAsync(job, status, cancellationToken).ConfigureAwait(false);
        if (finishing && outcome is { } done)
        {
            LogFinished(_logger, job.Metadata.NamespaceProperty, job.Metadata.Name, done.Reason);
            if (done.Type == JobSync.SuccessCriteriaMet)
            {
                _events.Record(job, EventTypes.Normal, "Completed", "Job completed");
            }
            else
            {
                _events.Record(job, EventTypes.Warning, done.Reason, done.Message);
            }
        }
    }

    private static int? NullIfZero(int value) => value == 0 ? null : value;

    private static bool SameStatus(V1JobStatus a, V1JobStatus b) =>
        SkiffJson.ToBytes(a).AsSpan().SequenceEqual(SkiffJson.ToBytes(b));
}
