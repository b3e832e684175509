using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Controllers.Job;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Events;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Informers;
using static Skiff.ControlPlane.Tests.Server.InformerSignal;

namespace Skiff.ControlPlane.Tests.Controllers.Job;

/// <summary>
/// The Job and TTL-after-finished controllers run directly against a real <c>skiff server --disable-controller-manager</c>. No
/// kubelet exists, so the test plays it: it ends pods by writing phase Succeeded or Failed through pods/status.
/// </summary>
public sealed class JobServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private const string Namespace = "default";

    [Fact]
    public async Task Job_CompletionsWithParallelism_RunsAtMostParallelismPodsAndCompletes()
    {
        await using Harness h = await Harness.StartAsync(fixture.Client);
        V1Job created = await h.Client.BatchV1.CreateNamespacedJobAsync(NewJob("three", completions: 3, parallelism: 2), Namespace, cancellationToken: h.Token);

        // The API server generated the selector and labelled the template; the controller's pods carry those labels.
        Assert.Equal(created.Metadata.Uid, created.Spec.Selector.MatchLabels["batch.kubernetes.io/controller-uid"]);
        await h.WaitUntilAsync(() => h.ActivePods(created).Count == 2);
        V1Pod first = h.ActivePods(created)[0];
        Assert.Equal(created.Metadata.Uid, first.Metadata.Labels["batch.kubernetes.io/controller-uid"]);
        Assert.Equal(created.Metadata.Uid, first.Metadata.Labels["controller-uid"]);
        Assert.Equal(created.Metadata.Name, first.Metadata.Labels["batch.kubernetes.io/job-name"]);
        Assert.Equal(created.Metadata.Name, first.Metadata.Labels["job-name"]);
        Assert.Contains(JobSync.TrackingFinalizer, first.Metadata.Finalizers);
        V1OwnerReference owner = Assert.Single(first.Metadata.OwnerReferences);
        Assert.Equal(("Job", created.Metadata.Name, true, true), (owner.Kind, owner.Name, owner.Controller, owner.BlockOwnerDeletion));
        await h.WaitUntilAsync(() => h.Job(created)?.Status?.StartTime is not null && h.Job(created)?.Status?.Active == 2);

        int mostActive = 0;
        await h.WaitUntilAsync(async () =>
        {
            mostActive = Math.Max(mostActive, h.ActivePods(created).Count);
            foreach (V1Pod pod in h.ActivePods(created))
            {
                await h.SetPhaseAsync(pod, "Succeeded");
            }

            return IsTrue(h.Job(created), "Complete");
        });

        V1Job done = h.Job(created)!;
        Assert.Equal(2, mostActive);
        Assert.Equal(3, done.Status.Succeeded);
        Assert.Null(done.Status.Failed);
        Assert.Null(done.Status.Active);
        Assert.NotNull(done.Status.CompletionTime);
        Assert.True(IsTrue(done, "SuccessCriteriaMet"));
        Assert.Equal("CompletionsReached", done.Status.Conditions.Single(c => c.Type == "Complete").Reason);
        Assert.True(done.Status.UncountedTerminatedPods?.Succeeded is null or { Count: 0 });
        await h.WaitUntilAsync(() => h.OwnedPods(created).All(p => !JobSync.HasTrackingFinalizer(p)));
        Assert.Equal(3, h.OwnedPods(created).Count);

        // The event follows the status write that the cache already shows, so it may still be on its way.
        IList<Corev1Event> events = await h.EventsAsync(done, e => e.Reason == "Completed");
        Assert.Equal(3, events.Where(e => e.Reason == "SuccessfulCreate").Sum(e => e.Count ?? 1));
        Assert.Contains(events, e => e.Reason == "Completed" && e.Message == "Job completed");
    }

    [Fact]
    public async Task Job_FailuresBeyondBackoffLimit_FailsAndDeletesActivePods()
    {
        await using Harness h = await Harness.StartAsync(fixture.Client);
        V1Job job = NewJob("flaky", completions: 4, parallelism: 2);
        job.Spec.BackoffLimit = 1;
        V1Job created = await h.Client.BatchV1.CreateNamespacedJobAsync(job, Namespace, cancellationToken: h.Token);
        await h.WaitUntilAsync(() => h.ActivePods(created).Count == 2);

        // The first failure is within the limit: a replacement comes.
        V1Pod failedFirst = h.ActivePods(created)[0];
        await h.SetPhaseAsync(failedFirst, "Failed");
        await h.WaitUntilAsync(() => h.ActivePods(created).Count == 2 && h.ActivePods(created).All(p => p.Metadata.Uid != failedFirst.Metadata.Uid)
            && h.Job(created)?.Status?.Failed == 1);
        Assert.False(IsTrue(h.Job(created), "Failed"));

        // The second one exceeds it: the Job fails and the pod still running is deleted and counted as failed too.
        await h.SetPhaseAsync(h.ActivePods(created)[0], "Failed");
        await h.WaitUntilAsync(() => IsTrue(h.Job(created), "Failed"));
        V1Job failed = h.Job(created)!;
        V1JobCondition condition = failed.Status.Conditions.Single(c => c.Type == "Failed");
        Assert.Equal(("BackoffLimitExceeded", "Job has reached the specified backoff limit"), (condition.Reason, condition.Message));
        Assert.True(IsTrue(failed, "FailureTarget"));
        Assert.Equal(3, failed.Status.Failed);
        Assert.Null(failed.Status.Active);
        Assert.Null(failed.Status.CompletionTime);
        await h.WaitUntilAsync(() => h.ActivePods(created).Count == 0 && h.OwnedPods(created).All(p => !JobSync.HasTrackingFinalizer(p)));
        Assert.Contains(await h.EventsAsync(failed, e => e.Reason == "BackoffLimitExceeded"), e => e.Type == "Warning" && e.Reason == "BackoffLimitExceeded");
    }

    [Fact]
    public async Task Job_Indexed_GivesEachPodItsIndexAndRecordsCompletedIndexes()
    {
        await using Harness h = await Harness.StartAsync(fixture.Client);
        V1Job job = NewJob("indexed", completions: 3, parallelism: 3);
        job.Spec.CompletionMode = "Indexed";
        V1Job created = await h.Client.BatchV1.CreateNamespacedJobAsync(job, Namespace, cancellationToken: h.Token);
        await h.WaitUntilAsync(() => h.ActivePods(created).Count == 3);

        Dictionary<string, V1Pod> byIndex = h.ActivePods(created).ToDictionary(p => p.Metadata.Annotations[JobSync.CompletionIndexKey]);
        Assert.Equal(["0", "1", "2"], byIndex.Keys.Order());
        foreach ((string index, V1Pod pod) in byIndex)
        {
            Assert.Equal(index, pod.Metadata.Labels[JobSync.CompletionIndexKey]);
            Assert.StartsWith(created.Metadata.Name + "-" + index + "-", pod.Metadata.Name, StringComparison.Ordinal);
            Assert.Equal(created.Metadata.Name + "-" + index, pod.Spec.Hostname);
            V1EnvVar env = Assert.Single(pod.Spec.Containers[0].Env, e => e.Name == "JOB_COMPLETION_INDEX");
            Assert.Equal("metadata.annotations['batch.kubernetes.io/job-completion-index']", env.ValueFrom.FieldRef.FieldPath);
        }

        await h.SetPhaseAsync(byIndex["0"], "Succeeded");
        await h.SetPhaseAsync(byIndex["2"], "Succeeded");
        await h.WaitUntilAsync(() => h.Job(created)?.Status?.CompletedIndexes == "0,2");
        Assert.Equal(2, h.Job(created)!.Status.Succeeded);

        // A failed index is started again under the same index.
        await h.SetPhaseAsync(byIndex["1"], "Failed");
        await h.WaitUntilAsync(() => h.ActivePods(created).Count == 1 && h.ActivePods(created)[0].Metadata.Uid != byIndex["1"].Metadata.Uid);
        V1Pod retry = h.ActivePods(created)[0];
        Assert.Equal("1", retry.Metadata.Annotations[JobSync.CompletionIndexKey]);

        await h.SetPhaseAsync(retry, "Succeeded");
        await h.WaitUntilAsync(() => IsTrue(h.Job(created), "Complete"));
        V1Job done = h.Job(created)!;
        Assert.Equal(("0-2", 3, 1), (done.Status.CompletedIndexes, done.Status.Succeeded, done.Status.Failed));
    }

    [Fact]
    public async Task Job_ActiveDeadlinePassed_FailsWithDeadlineExceeded()
    {
        await using Harness h = await Harness.StartAsync(fixture.Client);
        V1Job job = NewJob("slow", completions: 1, parallelism: 1);
        job.Spec.ActiveDeadlineSeconds = 1;
        V1Job created = await h.Client.BatchV1.CreateNamespacedJobAsync(job, Namespace, cancellationToken: h.Token);
        await h.WaitUntilAsync(() => h.ActivePods(created).Count == 1);

        // No pod ends; the controller looks again when the deadline passes.
        await h.WaitUntilAsync(() => IsTrue(h.Job(created), "Failed"));
        V1Job failed = h.Job(created)!;
        V1JobCondition condition = failed.Status.Conditions.Single(c => c.Type == "Failed");
        Assert.Equal(("DeadlineExceeded", "Job was active longer than specified deadline"), (condition.Reason, condition.Message));
        await h.WaitUntilAsync(() => h.ActivePods(created).Count == 0);
        Assert.Equal(1, h.Job(created)!.Status.Failed);
    }

    [Fact]
    public async Task Job_SuspendedThenResumed_StartsPodsOnlyOnResume()
    {
        await using Harness h = await Harness.StartAsync(fixture.Client);
        V1Job job = NewJob("later", completions: 1, parallelism: 1);
        job.Spec.Suspend = true;
        V1Job created = await h.Client.BatchV1.CreateNamespacedJobAsync(job, Namespace, cancellationToken: h.Token);
        await h.WaitUntilAsync(() => IsTrue(h.Job(created), "Suspended"));
        Assert.Empty(h.OwnedPods(created));
        Assert.Null(h.Job(created)!.Status.StartTime);

        await h.Client.BatchV1.PatchNamespacedJobAsync(new V1Patch("{\"spec\":{\"suspend\":false}}", V1Patch.PatchType.MergePatch), created.Metadata.Name, Namespace, cancellationToken: h.Token);
        await h.WaitUntilAsync(() => h.ActivePods(created).Count == 1 && h.Job(created)?.Status?.Conditions?.Any(c => c.Type == "Suspended" && c.Status == "False") == true);
        Assert.Equal("JobResumed", h.Job(created)!.Status.Conditions.Single(c => c.Type == "Suspended").Reason);
        Assert.NotNull(h.Job(created)!.Status.StartTime);
    }

    [Fact]
    public async Task Job_TtlSecondsAfterFinished_DeletesTheJobOnceFinished()
    {
        await using Harness h = await Harness.StartAsync(fixture.Client);
        V1Job job = NewJob("shortlived", completions: 1, parallelism: 1);
        job.Spec.TtlSecondsAfterFinished = 1;
        V1Job created = await h.Client.BatchV1.CreateNamespacedJobAsync(job, Namespace, cancellationToken: h.Token);
        await h.WaitUntilAsync(() => h.ActivePods(created).Count == 1);
        await h.SetPhaseAsync(h.ActivePods(created)[0], "Succeeded");
        await h.WaitUntilAsync(() => IsTrue(h.Job(created), "Complete"));

        await h.WaitUntilAsync(() => h.Job(created) is null);
        await Assert.ThrowsAsync<HttpOperationException>(() => h.Client.BatchV1.ReadNamespacedJobAsync(created.Metadata.Name, Namespace, cancellationToken: h.Token));

        // Its pod lost its Job: the controller releases the tracking finalizer so nothing holds the pod.
        await h.WaitUntilAsync(() => h.OwnedPods(created).All(p => !JobSync.HasTrackingFinalizer(p)));
    }

    [Fact]
    public async Task Job_DeletedWhilePodsRun_ReleasesTheirTrackingFinalizer()
    {
        await using Harness h = await Harness.StartAsync(fixture.Client);
        V1Job created = await h.Client.BatchV1.CreateNamespacedJobAsync(NewJob("dropped", completions: 2, parallelism: 2), Namespace, cancellationToken: h.Token);
        await h.WaitUntilAsync(() => h.ActivePods(created).Count == 2);

        await h.Client.BatchV1.DeleteNamespacedJobAsync(created.Metadata.Name, Namespace, new V1DeleteOptions { PropagationPolicy = "Background" }, cancellationToken: h.Token);

        // No garbage collector runs here, so the pods stay; but nothing of the Job may hold them any more.
        await h.WaitUntilAsync(() => h.Job(created) is null && h.OwnedPods(created).Count == 2 && h.OwnedPods(created).All(p => !JobSync.HasTrackingFinalizer(p)));
    }

    private static bool IsTrue(V1Job? job, string type) =>
        job?.Status?.Conditions?.Any(c => c.Type == type && c.Status == "True") == true;

    private static V1Job NewJob(string name, int completions, int parallelism) => new()
    {
        Metadata = new V1ObjectMeta { Name = name + "-" + Guid.NewGuid().ToString("N")[..6], NamespaceProperty = Namespace },
        Spec = new V1JobSpec
        {
            Completions = completions,
            Parallelism = parallelism,
            Template = new V1PodTemplateSpec
            {
                Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "work", Image = "busybox" }] },
            },
        },
    };

    /// <summary>The informers, both controllers and the event recorder for one test; waits re-check on every informer event.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));
        private readonly CancellationTokenSource _stop;
        private readonly SemaphoreSlim _changed = new(0);
        private readonly SharedInformerFactory _informers;
        private readonly JobController _jobs;
        private readonly TtlAfterFinishedController _ttl;
        private readonly EventRecorder _events;
        private Task _running = Task.CompletedTask;

        private Harness(Kubernetes client)
        {
            Client = client;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
            _informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
            _events = new EventRecorder(client, TimeProvider.System, NullLogger<EventRecorder>.Instance, "job-controller");
            _jobs = new JobController(client, TimeProvider.System, NullLogger<JobController>.Instance, _events, workers: 2, podFailureBackoff: TimeSpan.Zero);
            _ttl = new TtlAfterFinishedController(client, TimeProvider.System, NullLogger<TtlAfterFinishedController>.Instance);
        }

        public Kubernetes Client { get; }

        public CancellationToken Token => _timeout.Token;

        public static async Task<Harness> StartAsync(Kubernetes client)
        {
            var h = new Harness(client);
            h._jobs.Register(h._informers);
            h._ttl.Register(h._informers);
            h._informers.Pods().AddEventHandler(Signal<V1Pod>(h._changed));
            h._informers.Jobs().AddEventHandler(Signal<V1Job>(h._changed));
            h._informers.Start(h._stop.Token);
            h._running = Task.WhenAll(h._jobs.RunAsync(h._stop.Token), h._ttl.RunAsync(h._stop.Token));
            await h._informers.WaitForCacheSyncAsync(h.Token);
            return h;
        }

        public V1Job? Job(V1Job created) => _informers.Jobs().Cache.Get(Namespace, created.Metadata.Name);

        public List<V1Pod> OwnedPods(V1Job job) =>
            [.. _informers.Pods().Cache.ByIndex(CacheIndexers.OwnerUid, job.Metadata.Uid).OrderBy(p => p.Metadata.Name, StringComparer.Ordinal)];

        public List<V1Pod> ActivePods(V1Job job) => [.. OwnedPods(job).Where(PodControl.IsActive)];

        // The test as kubelet: the pod ends with the given phase.
        public async Task SetPhaseAsync(V1Pod pod, string phase)
        {
            V1Pod update = ReplicaSetSync.Clone(pod);

            // As a kubelet does, a status write that lost a race with the controller (finalizers, labels) is retried on a
            // fresh read.
            for (int attempt = 0; ; attempt++)
            {
                update.Status ??= new V1PodStatus();
                update.Status.Phase = phase;
                try
                {
                    await Client.CoreV1.ReplaceNamespacedPodStatusAsync(update, pod.Metadata.Name, Namespace, cancellationToken: Token);
                    return;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 10)
                {
                    update = await Client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, Namespace, cancellationToken: Token);
                }
            }
        }

        /// <summary>The Job's events, once one matches <paramref name="awaited"/> (or the test times out).</summary>
        public async Task<IList<Corev1Event>> EventsAsync(V1Job job, Func<Corev1Event, bool> awaited)
        {
            while (true)
            {
                await _events.FlushAsync(Token);
                Corev1EventList list = await Client.CoreV1.ListNamespacedEventAsync(Namespace, fieldSelector: "involvedObject.name=" + job.Metadata.Name, cancellationToken: Token);
                if (list.Items.Any(awaited))
                {
                    return list.Items;
                }

                await Task.Delay(100, Token);
            }
        }

        public Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

        public async Task WaitUntilAsync(Func<Task<bool>> condition)
        {
            while (!await condition())
            {
                // Events wake the check; the timeout also covers deadlines that pass without any event.
                await _changed.WaitAsync(TimeSpan.FromMilliseconds(500), Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _running;
            _jobs.Dispose();
            _ttl.Dispose();
            _events.Dispose();
            await _informers.DisposeAsync();
            _stop.Dispose();
            _timeout.Dispose();
            _changed.Dispose();
        }
    }
}
