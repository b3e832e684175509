using System.Globalization;
using k8s.Models;
using Skiff.ControlPlane.Controllers.ReplicaSet;

namespace Skiff.ControlPlane.Controllers.Job;

/// <summary>The pure half of a Job sync: which pods count how, how many should run, the pods to create, and the conditions.</summary>
internal static class JobSync
{
    /// <summary>Held on every pod the controller creates until its outcome is counted in the Job's status.</summary>
    public const string TrackingFinalizer = "batch.kubernetes.io/job-tracking";
    public const string CompletionIndexKey = "batch.kubernetes.io/job-completion-index";
    public const string CompletionIndexEnv = "JOB_COMPLETION_INDEX";

    public const string Complete = "Complete";
    public const string Failed = "Failed";
    public const string Suspended = "Suspended";
    public const string SuccessCriteriaMet = "SuccessCriteriaMet";
    public const string FailureTarget = "FailureTarget";

    public const string BackoffLimitExceeded = "BackoffLimitExceeded";
    public const string DeadlineExceeded = "DeadlineExceeded";
    public const string CompletionsReached = "CompletionsReached";

    /// <summary>Upstream's limit of pods created or deleted in one sync.</summary>
    public const int BurstPods = 500;

    public static bool IsIndexed(V1Job job) => job.Spec?.CompletionMode == "Indexed";

    public static bool IsSuspended(V1Job job) => job.Spec?.Suspend == true;

    /// <summary>Complete or Failed with status True: the Job is done and the controller no longer touches its pods' counts.</summary>
    public static V1JobCondition? FinishedCondition(V1Job job) =>
        job.Status?.Conditions?.FirstOrDefault(c => c.Type is Complete or Failed && c.Status == "True");

    /// <summary>The interim condition (1.31+): the outcome is decided, but terminated pods are still being counted.</summary>
    public static V1JobCondition? TargetCondition(V1Job job) =>
        job.Status?.Conditions?.FirstOrDefault(c => c.Type is SuccessCriteriaMet or FailureTarget && c.Status == "True");

    public static bool HasTrackingFinalizer(V1Pod pod) => pod.Metadata?.Finalizers?.Contains(TrackingFinalizer) == true;

    public static bool IsSucceeded(V1Pod pod) => pod.Status?.Phase == "Succeeded";

    /// <summary>
    /// Failed, or (with podReplacementPolicy TerminatingOrFailed) deleted before it finished: an orphan or evicted pod that
    /// never reaches a phase still counts as a failure (upstream's isPodFailed).
    /// </summary>
    public static bool IsFailed(V1Pod pod, V1Job job)
    {
        if (pod.Status?.Phase == "Failed")
        {
            return true;
        }

        return job.Spec?.PodReplacementPolicy != "Failed" && pod.Metadata?.DeletionTimestamp is not null && !IsSucceeded(pod);
    }

    public static bool IsTerminating(V1Pod pod) =>
        pod.Metadata?.DeletionTimestamp is not null && pod.Status?.Phase is not ("Succeeded" or "Failed");

    /// <summary>The completion index of a pod of an Indexed Job, or null when missing or malformed.</summary>
    public static int? CompletionIndex(V1Pod pod) =>
        pod.Metadata?.Annotations is { } annotations
        && annotations.TryGetValue(CompletionIndexKey, out string? text)
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            ? index
            : null;

    /// <summary>
    /// How many pods of a NonIndexed Job should be running: the completions still missing, at most parallelism. A work-queue
    /// Job (no completions) starts no more pods once one succeeded, and waits for the rest.
    /// </summary>
    public static int WantActive(V1Job job, int succeeded, int active)
    {
        int parallelism = Math.Max(0, job.Spec?.Parallelism ?? 1);
        if (job.Spec?.Completions is not { } completions)
        {
            return succeeded > 0 ? Math.Min(active, parallelism) : parallelism;
        }

        return Math.Clamp(completions - succeeded, 0, parallelism);
    }

    /// <summary>The lowest indexes neither completed nor running, as many as parallelism leaves room for.</summary>
    public static List<int> IndexesToStart(V1Job job, ISet<int> completed, ISet<int> running, int active)
    {
        int completions = job.Spec?.Completions ?? 0;
        int room = Math.Max(0, (job.Spec?.Parallelism ?? 1) - active);
        return [.. Enumerable.Range(0, completions).Where(i => !completed.Contains(i) && !running.Contains(i)).Take(Math.Min(room, BurstPods))];
    }

    /// <summary>Pod failure back-off before replacements are created: 10 s by default, doubled per counted failure, at most 6 min.</summary>
    public static TimeSpan FailureBackoff(TimeSpan initial, int failed)
    {
        if (failed <= 0 || initial <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        double seconds = initial.TotalSeconds * Math.Pow(2, Math.Min(failed - 1, 20));
        return TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.FromMinutes(6).TotalSeconds));
    }

    /// <summary>A pod from the template, controlled by the Job and held by the tracking finalizer; Indexed pods carry their index.</summary>
    public static V1Pod NewPod(V1Job job, int? index)
    {
        V1PodTemplateSpec template = ReplicaSetSync.Clone(job.Spec?.Template ?? new V1PodTemplateSpec());
        V1ObjectMeta meta = template.Metadata ?? new V1ObjectMeta();
        var labels = meta.Labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(meta.Labels);
        var annotations = meta.Annotations is null ? new Dictionary<string, string>() : new Dictionary<string, string>(meta.Annotations);
        V1PodSpec spec = template.Spec ?? new V1PodSpec();
        string generateName = job.Metadata.Name + "-";
        if (index is { } i)
        {
            string text = i.ToString(CultureInfo.InvariantCulture);
            generateName = job.Metadata.Name + "-" + text + "-";
            annotations[CompletionIndexKey] = text;
            labels[CompletionIndexKey] = text;
            if (string.IsNullOrEmpty(spec.Hostname))
            {
                spec.Hostname = job.Metadata.Name + "-" + text;
            }

            foreach (V1Container container in (spec.Containers ?? []).Concat(spec.InitContainers ?? []))
            {
                container.Env ??= [];
                if (!container.Env.Any(e => e.Name == CompletionIndexEnv))
                {
                    container.Env.Add(new V1EnvVar
                    {
                        Name = CompletionIndexEnv,
                        ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.annotations['" + CompletionIndexKey + "']" } },
                    });
                }
            }
        }

        var finalizers = new List<string>(meta.Finalizers ?? []);
        if (!finalizers.Contains(TrackingFinalizer))
        {
            finalizers.Add(TrackingFinalizer);
        }

        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                GenerateName = generateName,
                NamespaceProperty = job.Metadata.NamespaceProperty,
                Labels = labels.Count == 0 ? null : labels,
                Annotations = annotations.Count == 0 ? null : annotations,
                Finalizers = finalizers,
                OwnerReferences = [PodControl.ControllerReference("batch/v1", "Job", job.Metadata)],
            },
            Spec = spec,
        };
    }

    /// <summary>Sets a condition, keeping lastTransitionTime when the status does not change; true when anything changed.</summary>
    public static bool SetCondition(V1JobStatus status, string type, string conditionStatus, string? reason, string? message, DateTime now)
    {
        status.Conditions ??= [];
        V1JobCondition? existing = status.Conditions.FirstOrDefault(c => c.Type == type);
        if (existing is not null && existing.Status == conditionStatus && existing.Reason == reason && existing.Message == message)
        {
            return false;
        }

        var condition = new V1JobCondition
        {
            Type = type,
            Status = conditionStatus,
            Reason = reason,
            Message = message,
            LastProbeTime = now,
            LastTransitionTime = existing is not null && existing.Status == conditionStatus ? existing.LastTransitionTime : now,
        };
        if (existing is null)
        {
            status.Conditions.Add(condition);
        }
        else
        {
            status.Conditions[status.Conditions.IndexOf(existing)] = condition;
        }

        return true;
    }

    /// <summary>metav1.Time has whole seconds; writing more would make every comparison with the stored value differ.</summary>
    public static DateTime Truncate(DateTimeOffset now) =>
        new(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}
