using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Skiff.ControlPlane.Controllers.CronJob;

namespace Skiff.ControlPlane.Tests.Controllers.CronJob;

public sealed class CronJobSyncTests
{
    private static readonly DateTimeOffset s_created = new(2026, 11, 28, 10, 0, 30, TimeSpan.Zero);
    private static readonly HashSet<string> s_noneMissing = [];

    private readonly FakeTimeProvider _time = new(s_created);

    [Fact]
    public void Decide_BeforeFirstStartTime_CreatesNothingAndRequeuesJustAfterIt()
    {
        _time.Advance(TimeSpan.FromMinutes(2));

        CronJobDecision decision = Decide(CronJob("*/5 * * * *"));

        Assert.Null(decision.Create);
        Assert.Equal(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(30) + CronJobSync.NextScheduleDelta, decision.RequeueAfter);
    }

    [Fact]
    public void Decide_StartTimePassed_CreatesJobNamedAfterUnixMinutesFromTemplate()
    {
        _time.Advance(TimeSpan.FromMinutes(5));
        V1CronJob cronJob = CronJob("*/5 * * * *");

        CronJobDecision decision = Decide(cronJob);

        var scheduled = new DateTimeOffset(2026, 11, 28, 10, 5, 0, TimeSpan.Zero);
        V1Job job = Assert.IsType<V1Job>(decision.Create);
        Assert.Equal("tick-" + (scheduled.ToUnixTimeSeconds() / 60), job.Metadata.Name);
        Assert.Equal(scheduled, decision.ScheduledTime);
        Assert.Equal("2026-11-28T10:05:00Z", job.Metadata.Annotations[CronJobSync.ScheduledTimestampAnnotation]);
        Assert.Equal("hello", job.Metadata.Labels["app"]);
        V1OwnerReference owner = Assert.Single(job.Metadata.OwnerReferences);
        Assert.Equal(("batch/v1", "CronJob", "tick", "cj-uid", true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller));
        Assert.Equal("busybox", job.Spec.Template.Spec.Containers[0].Image);

        // The next start is five minutes on.
        Assert.Equal(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(30) + CronJobSync.NextScheduleDelta, decision.RequeueAfter);
    }

    [Fact]
    public void Decide_StartTimeAlreadyScheduled_CreatesNothing()
    {
        _time.Advance(TimeSpan.FromMinutes(6));
        V1CronJob cronJob = CronJob("*/5 * * * *");
        cronJob.Status = new V1CronJobStatus { LastScheduleTime = new DateTime(2026, 11, 28, 10, 5, 0, DateTimeKind.Utc) };

        Assert.Null(Decide(cronJob).Create);
    }

    [Fact]
    public void Decide_HourlyMacro_StartsOnTheHour()
    {
        _time.Advance(TimeSpan.FromMinutes(60));

        CronJobDecision decision = Decide(CronJob("@hourly"));

        Assert.Equal(new DateTimeOffset(2026, 11, 28, 11, 0, 0, TimeSpan.Zero), decision.ScheduledTime);
    }

    [Fact]
    public void Decide_TimeZoneField_StartsAtTheZonesWallClockTime()
    {
        V1CronJob cronJob = CronJob("0 9 * * *");
        cronJob.Spec.TimeZone = "America/New_York";
        _time.Advance(TimeSpan.FromHours(5));

        CronJobDecision decision = Decide(cronJob);

        // 09:00 in New York in November is 14:00 UTC; the annotation keeps the zone's offset, as upstream's RFC 3339 does.
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 14, 0, 0, TimeSpan.Zero), decision.ScheduledTime);
        Assert.Equal("2026-11-28T09:00:00-05:00", decision.Create!.Metadata.Annotations[CronJobSync.ScheduledTimestampAnnotation]);
    }

    [Fact]
    public void Decide_CronTzPrefix_UsesThatZoneAndWarnsItIsUnsupported()
    {
        _time.Advance(TimeSpan.FromHours(1));

        CronJobDecision decision = Decide(CronJob("CRON_TZ=Europe/Berlin 0 12 * * *"));

        Assert.Equal(new DateTimeOffset(2026, 11, 28, 11, 0, 0, TimeSpan.Zero), decision.ScheduledTime);
        Assert.Contains(decision.Events, e => e.Reason == "UnsupportedSchedule" && e.Type == "Warning");
    }

    [Fact]
    public void Decide_UnknownTimeZone_WarnsAndDoesNotSchedule()
    {
        V1CronJob cronJob = CronJob("* * * * *");
        cronJob.Spec.TimeZone = "Mars/Olympus_Mons";
        _time.Advance(TimeSpan.FromMinutes(3));

        CronJobDecision decision = Decide(cronJob);

        Assert.Null(decision.Create);
        Assert.Null(decision.RequeueAfter);
        Assert.Equal("UnknownTimeZone", Assert.Single(decision.Events).Reason);
    }

    [Fact]
    public void Decide_UnparseableSchedule_WarnsAndDoesNotRequeue()
    {
        _time.Advance(TimeSpan.FromMinutes(3));

        CronJobDecision decision = Decide(CronJob("61 * * * *"));

        Assert.Null(decision.Create);
        Assert.Null(decision.RequeueAfter);
        Assert.Equal("UnparseableSchedule", Assert.Single(decision.Events).Reason);
    }

    [Fact]
    public void Decide_Suspended_CreatesNothing()
    {
        V1CronJob cronJob = CronJob("* * * * *");
        cronJob.Spec.Suspend = true;
        _time.Advance(TimeSpan.FromMinutes(3));

        Assert.Null(Decide(cronJob).Create);
    }

    [Theory]
    [InlineData("Allow", true, 0)]
    [InlineData("Forbid", false, 0)]
    [InlineData("Replace", true, 1)]
    public void Decide_PreviousJobStillRunning_FollowsConcurrencyPolicy(string policy, bool creates, int replaced)
    {
        V1CronJob cronJob = CronJob("* * * * *");
        cronJob.Spec.ConcurrencyPolicy = policy;
        V1Job running = Job("tick-1", "job-uid");
        cronJob.Status = new V1CronJobStatus { Active = [CronJobSync.Reference(running)], LastScheduleTime = new DateTime(2026, 11, 28, 10, 1, 0, DateTimeKind.Utc) };
        _time.Advance(TimeSpan.FromMinutes(2));

        CronJobDecision decision = Decide(cronJob, running);

        Assert.Equal(creates, decision.Create is not null);
        Assert.Equal(replaced, decision.DeleteForReplace.Count);
        if (policy == "Forbid")
        {
            Assert.Contains(decision.Events, e => e.Reason == "JobAlreadyActive");
        }
        else if (policy == "Replace")
        {
            Assert.Empty(decision.Status.Active);
        }
    }

    [Fact]
    public void Decide_ActiveJobFinished_DropsItFromActiveAndRecordsLastSuccessfulTime()
    {
        V1CronJob cronJob = CronJob("*/30 * * * *");
        V1Job finished = Finished(Job("tick-1", "job-uid"), "Complete", new DateTime(2026, 11, 28, 10, 1, 0, DateTimeKind.Utc));
        cronJob.Status = new V1CronJobStatus { Active = [CronJobSync.Reference(finished)] };
        _time.Advance(TimeSpan.FromMinutes(2));

        CronJobDecision decision = Decide(cronJob, finished);

        Assert.True(decision.StatusChanged);
        Assert.Empty(decision.Status.Active);
        Assert.Equal(new DateTime(2026, 11, 28, 10, 1, 0, DateTimeKind.Utc), decision.Status.LastSuccessfulTime);
        CronJobEvent saw = Assert.Single(decision.Events);
        Assert.Equal(("SawCompletedJob", "Saw completed job: tick-1, condition: Complete"), (saw.Reason, saw.Message));
    }

    [Fact]
    public void Decide_ActiveJobGone_DropsItAsMissing()
    {
        V1CronJob cronJob = CronJob("*/30 * * * *");
        cronJob.Status = new V1CronJobStatus { Active = [CronJobSync.Reference(Job("tick-1", "gone-uid"))] };

        CronJobDecision decision = CronJobSync.Decide(cronJob, [], new HashSet<string> { "gone-uid" }, _time.GetUtcNow(), _time.LocalTimeZone);

        Assert.Empty(decision.Status.Active);
        Assert.Equal("MissingJob", Assert.Single(decision.Events).Reason);
    }

    [Fact]
    public void Decide_MoreFinishedJobsThanHistoryLimits_DeletesTheOldest()
    {
        V1CronJob cronJob = CronJob("*/30 * * * *");
        cronJob.Spec.SuccessfulJobsHistoryLimit = 2;
        cronJob.Spec.FailedJobsHistoryLimit = 1;
        var start = new DateTime(2026, 11, 28, 9, 0, 0, DateTimeKind.Utc);
        V1Job[] jobs =
        [
            Finished(Job("ok-3", "u3", start.AddMinutes(3)), "Complete", start.AddMinutes(4)),
            Finished(Job("ok-1", "u1", start.AddMinutes(1)), "Complete", start.AddMinutes(2)),
            Finished(Job("ok-2", "u2", start.AddMinutes(2)), "Complete", start.AddMinutes(3)),
            Finished(Job("bad-1", "f1", start.AddMinutes(1)), "Failed", start.AddMinutes(2)),
            Finished(Job("bad-2", "f2", start.AddMinutes(5)), "Failed", start.AddMinutes(6)),
            Job("running", "r1", start.AddMinutes(6)),
        ];

        CronJobDecision decision = Decide(cronJob, jobs);

        Assert.Equal(["ok-1", "bad-1"], decision.DeleteForHistory.Select(j => j.Metadata.Name));
    }

    [Fact]
    public void Decide_StartTimeOlderThanStartingDeadline_ReportsMissScheduleAndCreatesNothing()
    {
        V1CronJob cronJob = CronJob("0 * * * *");
        cronJob.Spec.StartingDeadlineSeconds = 60;
        _time.Advance(TimeSpan.FromMinutes(65));

        CronJobDecision decision = Decide(cronJob);

        Assert.Null(decision.Create);
        CronJobEvent miss = Assert.Single(decision.Events);
        Assert.Equal(("MissSchedule", "Missed scheduled time to start a job: Sat, 28 Nov 2026 11:00:00 +0000"), (miss.Reason, miss.Message));
    }

    [Fact]
    public void Decide_StartTimeWithinStartingDeadline_Creates()
    {
        V1CronJob cronJob = CronJob("0 * * * *");
        cronJob.Spec.StartingDeadlineSeconds = 600;
        _time.Advance(TimeSpan.FromMinutes(65));

        Assert.Equal(new DateTimeOffset(2026, 11, 28, 11, 0, 0, TimeSpan.Zero), Decide(cronJob).ScheduledTime);
    }

    [Fact]
    public void Decide_MoreThanHundredMissedStartTimes_WarnsAndStartsTheLatest()
    {
        _time.Advance(TimeSpan.FromHours(3));

        CronJobDecision decision = Decide(CronJob("* * * * *"));

        Assert.Contains(decision.Events, e => e.Reason == "TooManyMissedTimes" && e.Message.StartsWith("too many missed start times: 180.", StringComparison.Ordinal));
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 13, 0, 0, TimeSpan.Zero), decision.ScheduledTime);
    }

    private CronJobDecision Decide(V1CronJob cronJob, params V1Job[] jobs) =>
        CronJobSync.Decide(cronJob, jobs, s_noneMissing, _time.GetUtcNow(), _time.LocalTimeZone);

    private static V1CronJob CronJob(string schedule) => new()
    {
        Metadata = new V1ObjectMeta { Name = "tick", NamespaceProperty = "default", Uid = "cj-uid", CreationTimestamp = s_created.UtcDateTime },
        Spec = new V1CronJobSpec
        {
            Schedule = schedule,
            ConcurrencyPolicy = "Allow",
            JobTemplate = new V1JobTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "hello" } },
                Spec = new V1JobSpec
                {
                    Template = new V1PodTemplateSpec
                    {
                        Spec = new V1PodSpec { RestartPolicy = "OnFailure", Containers = [new V1Container { Name = "hello", Image = "busybox" }] },
                    },
                },
            },
        },
    };

    private static V1Job Job(string name, string uid, DateTime? started = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "default",
            Uid = uid,
            OwnerReferences = [new V1OwnerReference { ApiVersion = "batch/v1", Kind = "CronJob", Name = "tick", Uid = "cj-uid", Controller = true }],
        },
        Spec = new V1JobSpec(),
        Status = new V1JobStatus { StartTime = started },
    };

    private static V1Job Finished(V1Job job, string condition, DateTime at)
    {
        job.Status.Conditions = [new V1JobCondition { Type = condition, Status = "True", LastTransitionTime = at }];
        job.Status.CompletionTime = condition == "Complete" ? at : null;
        return job;
    }
}
