using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Skiff.ControlPlane.Controllers.CronJob;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Informers;
using static Skiff.ControlPlane.Tests.Server.InformerSignal;

namespace Skiff.ControlPlane.Tests.Controllers.CronJob;

/// <summary>
/// The CronJob controller against a real <c>skiff server --disable-controller-manager</c>, on a fake clock: the test moves
/// time to the next start time instead of waiting for it, and plays the Job controller by marking the Job Complete.
/// </summary>
public sealed class CronJobServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private const string Namespace = "default";

    [Fact]
    public async Task CronJob_StartTimeReached_CreatesJobThenSeesItComplete()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        string name = "tick-" + Guid.NewGuid().ToString("N")[..6];
        V1CronJob created = await client.BatchV1.CreateNamespacedCronJobAsync(NewCronJob(name), Namespace, cancellationToken: token);
        DateTimeOffset createdAt = new(DateTime.SpecifyKind(created.Metadata.CreationTimestamp!.Value, DateTimeKind.Utc));
        var time = new SignallingTime(createdAt.AddSeconds(1));

        await using var informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        using var controller = new CronJobController(client, time, NullLogger<CronJobController>.Instance, workers: 1);
        controller.Register(informers);
        var changed = new SemaphoreSlim(0);
        informers.Jobs().AddEventHandler(Signal<V1Job>(changed));
        informers.CronJobs().AddEventHandler(Signal<V1CronJob>(changed));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        informers.Start(stop.Token);
        Task running = controller.RunAsync(stop.Token);

        // Nothing before the first start time, only a requeue for it; then the clock reaches it.
        await time.TimerCreated.WaitAsync(token);
        Assert.Empty(OwnedJobs(informers, created));
        DateTimeOffset next = NextFiveMinutes(createdAt);
        time.SetUtcNow(next.AddSeconds(1));

        await WaitUntilAsync(changed, () => OwnedJobs(informers, created).Count == 1 && Current(informers, name)?.Status?.Active?.Count == 1, token);
        V1Job job = OwnedJobs(informers, created)[0];
        Assert.Equal(name + "-" + (next.ToUnixTimeSeconds() / 60), job.Metadata.Name);
        Assert.Equal(CronJobSync.Rfc3339(next), job.Metadata.Annotations[CronJobSync.ScheduledTimestampAnnotation]);
        Assert.Equal("hello", job.Spec.Template.Spec.Containers[0].Name);
        V1CronJob scheduled = Current(informers, name)!;
        Assert.Equal(job.Metadata.Uid, scheduled.Status.Active[0].Uid);
        Assert.Equal(next.UtcDateTime, scheduled.Status.LastScheduleTime);

        // The Job finishes: the CronJob drops it from active and records the success.
        DateTime finishedAt = next.UtcDateTime.AddSeconds(20);
        V1Job complete = ReplicaSetSync.Clone(job);
        complete.Status = new V1JobStatus
        {
            StartTime = next.UtcDateTime,
            CompletionTime = finishedAt,
            Succeeded = 1,
            Conditions = [new V1JobCondition { Type = "Complete", Status = "True", LastTransitionTime = finishedAt }],
        };
        await client.BatchV1.ReplaceNamespacedJobStatusAsync(complete, job.Metadata.Name, Namespace, cancellationToken: token);

        await WaitUntilAsync(changed, () => Current(informers, name)?.Status is { Active: null or { Count: 0 }, LastSuccessfulTime: not null }, token);
        Assert.Equal(finishedAt, Current(informers, name)!.Status.LastSuccessfulTime);

        await stop.CancelAsync();
        await running;
    }

    private static DateTimeOffset NextFiveMinutes(DateTimeOffset after)
    {
        var minute = new DateTimeOffset(after.Year, after.Month, after.Day, after.Hour, after.Minute, 0, TimeSpan.Zero);
        return minute.AddMinutes(5 - (minute.Minute % 5));
    }

    private static V1CronJob? Current(SharedInformerFactory informers, string name) => informers.CronJobs().Cache.Get(Namespace, name);

    private static List<V1Job> OwnedJobs(SharedInformerFactory informers, V1CronJob cronJob) =>
        [.. informers.Jobs().Cache.ByIndex(CacheIndexers.OwnerUid, cronJob.Metadata.Uid)];

    private static V1CronJob NewCronJob(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
        Spec = new V1CronJobSpec
        {
            Schedule = "*/5 * * * *",
            TimeZone = "Etc/UTC",
            JobTemplate = new V1JobTemplateSpec
            {
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

    /// <summary>A fake clock that says when a timer was created: the controller's requeue for the next start time.</summary>
    private sealed class SignallingTime(DateTimeOffset start) : FakeTimeProvider(start)
    {
        public SemaphoreSlim TimerCreated { get; } = new(0);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            ITimer timer = base.CreateTimer(callback, state, dueTime, period);
            TimerCreated.Release();
            return timer;
        }
    }
}
