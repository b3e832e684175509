using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Skiff.ControlPlane.Controllers.PodGC;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Tests.Controllers.PodGC;

/// <summary>
/// The pod garbage collector runs alone against a real server, with a short sweep period and quarantine so the tests do not
/// wait upstream's 20 s and 40 s. No kubelet exists: pod phases are written through pods/status.
/// </summary>
public sealed class PodGCServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    [Fact]
    public async Task NodeDeleted_PodsBoundToItIncludingTerminatingAreMarkedDisruptedAndDeleted_OthersStay()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        string ns = await CreateNamespaceAsync(client, token);
        string gone = "gone-" + ns;
        string kept = "kept-" + ns;
        await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = gone } }, cancellationToken: token);
        await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = kept } }, cancellationToken: token);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("on-gone-1", gone), ns, cancellationToken: token);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("on-gone-2", gone), ns, cancellationToken: token);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("on-kept", kept), ns, cancellationToken: token);

        // A bound pod being deleted waits for a kubelet that will never come: terminating until PodGC force-deletes it.
        V1Pod terminating = await client.CoreV1.DeleteNamespacedPodAsync("on-gone-2", ns, cancellationToken: token);
        Assert.NotNull(terminating.Metadata.DeletionTimestamp);

        await using var run = await PodGCRun.StartAsync(client, threshold: 12500, token);
        Assert.Equal(3, run.Pods(ns).Count);
        await client.CoreV1.DeleteNodeAsync(gone, cancellationToken: token);

        await run.WaitUntilAsync(() => run.Pods(ns).Count == 1);
        Assert.Equal("on-kept", Assert.Single(run.Pods(ns)).Metadata.Name);
        // Before deleting, PodGC recorded why: phase Failed with DisruptionTarget / DeletionByPodGC. (Not checked on the
        // terminating pod: today's API server completes the deletion of a terminating pod on any write, that status
        // patch included, so the informer never sees its Failed state.)
        Assert.True(run.LastSeen.TryGetValue($"{ns}/on-gone-1", out V1Pod? last));
        Assert.Equal("Failed", last.Status.Phase);
        V1PodCondition condition = Assert.Single(last.Status.Conditions, c => c.Type == PodGCController.DisruptionTarget);
        Assert.Equal(("True", PodGCController.DeletionByPodGC), (condition.Status, condition.Reason));
    }

    [Fact]
    public async Task TerminatedPodsOverThreshold_OldestDeletedDownToThreshold()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        string ns = await CreateNamespaceAsync(client, token);
        for (int i = 0; i < 4; i++)
        {
            await client.CoreV1.CreateNamespacedPodAsync(Pod($"done-{i}", node: null), ns, cancellationToken: token);
            string phase = i % 2 == 0 ? "Succeeded" : "Failed";
            await client.CoreV1.PatchNamespacedPodStatusAsync(
                new V1Patch(new V1Pod { Status = new V1PodStatus { Phase = phase } }, V1Patch.PatchType.MergePatch), $"done-{i}", ns, cancellationToken: token);
        }

        await client.CoreV1.CreateNamespacedPodAsync(Pod("running", node: null), ns, cancellationToken: token);

        await using var run = await PodGCRun.StartAsync(client, threshold: 2, token);

        await run.WaitUntilAsync(() => run.Pods(ns).Count == 3);
        Assert.Equal(["done-2", "done-3", "running"], run.Pods(ns).Select(p => p.Metadata.Name).Order(StringComparer.Ordinal));
    }

    private static async Task<string> CreateNamespaceAsync(Kubernetes client, CancellationToken token)
    {
        string ns = "podgc-" + Guid.NewGuid().ToString("N")[..8];
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: token);
        return ns;
    }

    private static V1Pod Pod(string name, string? node) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    };

    /// <summary>A running PodGC (100 ms sweeps, 300 ms quarantine) plus a pod informer that signals every change.</summary>
    private sealed class PodGCRun : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly SharedInformerFactory _informers;
        private readonly PodGCController _controller;
        private readonly SemaphoreSlim _changed = new(0);
        private Task _running = Task.CompletedTask;

        private PodGCRun(Kubernetes client, int threshold, CancellationToken token)
        {
            _stop = CancellationTokenSource.CreateLinkedTokenSource(token);
            _informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
            _controller = new PodGCController(
                client,
                Options.Create(new ControlPlaneOptions { TerminatedPodGCThreshold = threshold }),
                TimeProvider.System,
                NullLogger<PodGCController>.Instance,
                period: TimeSpan.FromMilliseconds(100),
                quarantine: TimeSpan.FromMilliseconds(300));
        }

        /// <summary>The last state of every pod before it was deleted.</summary>
        public ConcurrentDictionary<string, V1Pod> LastSeen { get; } = new();

        public static async Task<PodGCRun> StartAsync(Kubernetes client, int threshold, CancellationToken token)
        {
            var run = new PodGCRun(client, threshold, token);
            run._controller.Register(run._informers);
            run._informers.Pods().AddEventHandler(new InformerHandler<V1Pod>(
                onAdd: p => run.Seen(p),
                onUpdate: (_, p) => run.Seen(p),
                onDelete: p => run.Seen(p)));
            run._informers.Start(run._stop.Token);
            run._running = run._controller.RunAsync(run._stop.Token);
            await run._informers.WaitForCacheSyncAsync(token);
            return run;
        }

        public IReadOnlyList<V1Pod> Pods(string ns) => _informers.Pods().Cache.ByIndex(CacheIndexers.Namespace, ns);

        public async Task WaitUntilAsync(Func<bool> condition)
        {
            while (!condition())
            {
                await _changed.WaitAsync(_stop.Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _running;
            await _informers.DisposeAsync();
            _controller.Dispose();
            _changed.Dispose();
            _stop.Dispose();
        }

        private void Seen(V1Pod pod)
        {
            LastSeen[ObjectKeys.Of(pod)] = pod;
            _changed.Release();
        }
    }
}
