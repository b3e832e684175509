using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;
using Skiff.ControlPlane.Controllers.NodeLifecycle;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Informers;
using Xunit.Abstractions;
using static Skiff.ControlPlane.Tests.Server.InformerSignal;

namespace Skiff.ControlPlane.Tests.Controllers.NodeLifecycle;

/// <summary>
/// The node lifecycle and taint eviction controllers against a real server. No kubelet exists: the test creates the Nodes
/// and their Leases in kube-node-lease and renews (or stops renewing) them itself. Grace periods are short (options).
/// Each test keeps one healthy node in its own zone, since upstream stops NoExecute tainting when every node is down.
/// </summary>
public sealed class NodeLifecycleServerTests(ControlPlaneServerFixture fixture, ITestOutputHelper output) : IClassFixture<ControlPlaneServerFixture>
{
    private const string Namespace = "default";
    // Long enough that the healthy node's renewals (every 300 ms) never lapse while the whole suite loads both cores.
    private static readonly TimeSpan s_grace = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Node_StopsRenewingItsLease_TurnsUnknownIsTaintedAndItsPodsAreEvictedThenRecovers()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        string zone = "z-" + Guid.NewGuid().ToString("N")[..8];
        await CreateNodeAsync(client, "alive-1", zone, ready: "True", token);
        await CreateNodeAsync(client, "dead-1", zone, ready: "True", token);
        // The API server's DefaultTolerationSeconds adds 300 s tolerations for not-ready and unreachable unless the pod has its own.
        await CreatePodAsync(client, "now-1", "dead-1", [Unreachable(seconds: 0)], token);
        await CreatePodAsync(client, "brief-1", "dead-1", [Unreachable(seconds: 4)], token);
        await CreatePodAsync(client, "forever-1", "dead-1", [Unreachable(seconds: null)], token);
        await CreatePodAsync(client, "patient-1", "dead-1", [], token);
        await MarkPodReadyAsync(client, "forever-1", token);
        var events = new RecordingEventRecorder();
        await using var harness = await Harness.StartAsync(client, events, output, token);
        using var kubelet = Kubelet.Renew(client, ["alive-1"], token);

        // Silent for the grace period: every kubelet condition goes Unknown.
        await harness.WaitUntilAsync(() => NodeHealth.ReadyStatus(harness.Node("dead-1")) == "Unknown", token);
        V1NodeCondition ready = NodeHealth.Condition(harness.Node("dead-1"), "Ready")!;
        Assert.Equal(("NodeStatusUnknown", "Kubelet stopped posting node status."), (ready.Reason, ready.Message));

        // Tainted for the scheduler and for eviction.
        await harness.WaitUntilAsync(() => HasTaint(harness.Node("dead-1"), "node.kubernetes.io/unreachable", "NoExecute"), token);
        Assert.True(HasTaint(harness.Node("dead-1"), "node.kubernetes.io/unreachable", "NoSchedule"));
        V1Taint noExecute = harness.Node("dead-1").Spec.Taints.Single(t => t.Effect == "NoExecute");
        Assert.NotNull(noExecute.TimeAdded);

        // The pod tolerating it for 0 s goes at once, marked as a disruption target.
        await harness.WaitUntilAsync(() => harness.Pod("now-1")?.Metadata.DeletionTimestamp is not null, token);
        V1PodCondition disruption = harness.Pod("now-1")!.Status.Conditions.Single(c => c.Type == "DisruptionTarget");
        Assert.Equal(("True", "DeletionByTaintManager"), (disruption.Status, disruption.Reason));

        // The pod tolerating it for 4 s goes 4 s after the taint was added.
        await harness.WaitUntilAsync(() => harness.Pod("brief-1")?.Metadata.DeletionTimestamp is not null, token);
        V1Pod brief = harness.Pod("brief-1")!;
        DateTime deletedAt = brief.Metadata.DeletionTimestamp!.Value.AddSeconds(-(brief.Metadata.DeletionGracePeriodSeconds ?? 0));
        Assert.True(deletedAt >= noExecute.TimeAdded!.Value.AddSeconds(3), $"deleted at {deletedAt:O}, taint added at {noExecute.TimeAdded:O}");

        // The pod tolerating it forever stays, but no longer counts as Ready.
        V1Pod forever = harness.Pod("forever-1")!;
        Assert.Null(forever.Metadata.DeletionTimestamp);
        await harness.WaitUntilAsync(() => harness.Pod("forever-1")!.Status.Conditions.Single(c => c.Type == "Ready").Status == "False", token);

        Assert.True(events.Has("dead-1", "NodeNotReady", "Node dead-1 status is now: NodeNotReady"));
        Assert.True(events.Has("now-1", "TaintManagerEviction", "Marking for deletion Pod default/now-1"));
        Assert.True(events.Has("brief-1", "TaintManagerEviction"));
        Assert.False(events.Has("forever-1", "TaintManagerEviction"));
        Assert.True(events.Has("dead-1", "RegisteredNode", "Node dead-1 event: Registered Node dead-1 in Controller"));

        // The healthy node was left alone.
        Assert.Equal("True", NodeHealth.ReadyStatus(harness.Node("alive-1")));
        Assert.Empty(harness.Node("alive-1").Spec.Taints ?? []);

        // The kubelet comes back: it renews its Lease and posts Ready; the taints go.
        kubelet.Add("dead-1");
        await PostReadyAsync(client, "dead-1", token);
        await harness.WaitUntilAsync(() => NodeHealth.ReadyStatus(harness.Node("dead-1")) == "True" && (harness.Node("dead-1").Spec.Taints ?? []).Count == 0, token);

        // The pod with the API server's default 300 s toleration was due to go later; that is called off.
        await harness.WaitUntilAsync(() => events.Has("patient-1", "TaintManagerEviction", "Cancelling deletion of Pod default/patient-1"), token);
        Assert.Null(harness.Pod("patient-1")!.Metadata.DeletionTimestamp);

        await DeleteNodesAsync(client, ["alive-1", "dead-1"], token);
    }

    [Fact]
    public async Task Nodes_NeverHeartbeatingReportingNotReadyOrTaintedByAUser_GetTheMatchingTaintsAndEvictions()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        string zone = "z-" + Guid.NewGuid().ToString("N")[..8];
        await CreateNodeAsync(client, "alive-2", zone, ready: "True", token, taint: new V1Taint { Key = "dedicated", Value = "db", Effect = "NoExecute" });
        await CreateNodeAsync(client, "silent-2", zone, ready: null, token, lease: false);
        await CreateNodeAsync(client, "sick-2", zone, ready: "False", token);
        await CreatePodAsync(client, "intruder-2", "alive-2", [], token);
        await CreatePodAsync(client, "guest-2", "alive-2", [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "db", Effect = "NoExecute" }], token);
        await CreatePodAsync(client, "brief-2", "sick-2", [new V1Toleration { Key = "node.kubernetes.io/not-ready", OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 1 }], token);
        await using var harness = await Harness.StartAsync(client, new RecordingEventRecorder(), output, token);
        using var kubelet = Kubelet.Renew(client, ["alive-2", "sick-2"], token);

        // A user's NoExecute taint: a pod without a matching toleration goes at once, one with it stays.
        await harness.WaitUntilAsync(() => harness.Pod("intruder-2")?.Metadata.DeletionTimestamp is not null, token);

        // Never posted status: the grace period counts from creation, the conditions say so.
        await harness.WaitUntilAsync(() => HasTaint(harness.Node("silent-2"), "node.kubernetes.io/unreachable", "NoExecute"), token);
        V1NodeCondition ready = NodeHealth.Condition(harness.Node("silent-2"), "Ready")!;
        Assert.Equal(("Unknown", "NodeStatusNeverUpdated"), (ready.Status, ready.Reason));

        // A kubelet that renews its Lease but reports NotReady: not-ready taints, and its pods go once their toleration ends.
        await harness.WaitUntilAsync(() => HasTaint(harness.Node("sick-2"), "node.kubernetes.io/not-ready", "NoExecute"), token);
        Assert.True(HasTaint(harness.Node("sick-2"), "node.kubernetes.io/not-ready", "NoSchedule"));
        Assert.Equal("False", NodeHealth.ReadyStatus(harness.Node("sick-2")));
        await harness.WaitUntilAsync(() => harness.Pod("brief-2")?.Metadata.DeletionTimestamp is not null, token);

        Assert.Null(harness.Pod("guest-2")!.Metadata.DeletionTimestamp);
        V1Taint kept = Assert.Single(harness.Node("alive-2").Spec.Taints);
        Assert.Equal(("dedicated", "db"), (kept.Key, kept.Value));

        await DeleteNodesAsync(client, ["alive-2", "silent-2", "sick-2"], token);
    }

    private static bool HasTaint(V1Node node, string key, string effect) =>
        node.Spec?.Taints?.Any(t => t.Key == key && t.Effect == effect) == true;

    private static V1Toleration Unreachable(long? seconds) =>
        new() { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = seconds };

    private static DateTime Now() => DateTime.UtcNow.AddTicks(-(DateTime.UtcNow.Ticks % TimeSpan.TicksPerSecond));

    private static async Task CreateNodeAsync(Kubernetes client, string name, string zone, string? ready, CancellationToken token, bool lease = true, V1Taint? taint = null)
    {
        DateTime now = Now();
        var node = new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { [NodeHealth.ZoneLabel] = zone } },
            Spec = new V1NodeSpec { Taints = taint is null ? null : [taint] },
            Status = ready is null ? null : new V1NodeStatus
            {
                Conditions = [new V1NodeCondition { Type = "Ready", Status = ready, Reason = "KubeletReady", LastHeartbeatTime = now, LastTransitionTime = now }],
            },
        };
        await client.CoreV1.CreateNodeAsync(node, cancellationToken: token);
        if (lease)
        {
            await client.CoordinationV1.CreateNamespacedLeaseAsync(
                new V1Lease
                {
                    Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = NodeLifecycleController.NodeLeaseNamespace },
                    Spec = new V1LeaseSpec { HolderIdentity = name, LeaseDurationSeconds = 40, RenewTime = now },
                },
                NodeLifecycleController.NodeLeaseNamespace,
                cancellationToken: token);
        }
    }

    private static async Task CreatePodAsync(Kubernetes client, string name, string node, List<V1Toleration> tolerations, CancellationToken token) =>
        await client.CoreV1.CreateNamespacedPodAsync(
            new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = name },
                Spec = new V1PodSpec { NodeName = node, Tolerations = tolerations, Containers = [new V1Container { Name = "c", Image = "busybox" }] },
            },
            Namespace,
            cancellationToken: token);

    private static async Task MarkPodReadyAsync(Kubernetes client, string name, CancellationToken token)
    {
        V1Pod pod = await client.CoreV1.ReadNamespacedPodAsync(name, Namespace, cancellationToken: token);
        pod.Status.Phase = "Running";
        pod.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = Now() }];
        await client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, name, Namespace, cancellationToken: token);
    }

    // The kubelet's status report: Ready with a fresh heartbeat.
    private static async Task PostReadyAsync(Kubernetes client, string name, CancellationToken token)
    {
        for (int attempt = 0; ; attempt++)
        {
            V1Node node = await client.CoreV1.ReadNodeAsync(name, cancellationToken: token);
            DateTime now = Now();
            node.Status.Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", LastHeartbeatTime = now, LastTransitionTime = now }];
            try
            {
                await client.CoreV1.ReplaceNodeStatusAsync(node, name, cancellationToken: token);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 10)
            {
                // The controller wrote the node meanwhile; read it again.
            }
        }
    }

    private static async Task DeleteNodesAsync(Kubernetes client, string[] names, CancellationToken token)
    {
        foreach (string name in names)
        {
            await client.CoreV1.DeleteNodeAsync(name, cancellationToken: token);
        }
    }

    /// <summary>The two controllers and a test informer factory whose events wake <see cref="WaitUntilAsync"/>.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        private readonly SharedInformerFactory _informers;
        private readonly CancellationTokenSource _stop;
        private readonly SemaphoreSlim _changed = new(0);
        private readonly NodeLifecycleController _lifecycle;
        private readonly TaintEvictionController _eviction;
        private Task _running = Task.CompletedTask;

        private Harness(Kubernetes client, RecordingEventRecorder events, ITestOutputHelper output, CancellationToken token)
        {
            _informers = new SharedInformerFactory(client, TimeProvider.System, new TestOutputLoggerFactory(output), TimeSpan.Zero);
            _stop = CancellationTokenSource.CreateLinkedTokenSource(token);
            var options = Options.Create(new ControlPlaneOptions { NodeMonitorPeriod = TimeSpan.FromMilliseconds(200), NodeMonitorGracePeriod = s_grace });
            _lifecycle = new NodeLifecycleController(client, options, TimeProvider.System, new TestOutputLogger<NodeLifecycleController>(output), events);
            _eviction = new TaintEvictionController(client, TimeProvider.System, new TestOutputLogger<TaintEvictionController>(output), events);
            events.Recorded = () => _changed.Release();
        }

        public static async Task<Harness> StartAsync(Kubernetes client, RecordingEventRecorder events, ITestOutputHelper output, CancellationToken token)
        {
            var harness = new Harness(client, events, output, token);
            harness._lifecycle.Register(harness._informers);
            harness._eviction.Register(harness._informers);
            harness._informers.Nodes().AddEventHandler(Signal<V1Node>(harness._changed));
            harness._informers.Pods().AddEventHandler(Signal<V1Pod>(harness._changed));
            harness._informers.Start(harness._stop.Token);
            harness._running = Task.WhenAll(harness._lifecycle.RunAsync(harness._stop.Token), harness._eviction.RunAsync(harness._stop.Token));
            await harness._informers.WaitForCacheSyncAsync(token);
            return harness;
        }

        public V1Node Node(string name) => _informers.Nodes().Cache.Get(null, name) ?? throw new InvalidOperationException($"No node {name} in the cache.");

        public V1Pod? Pod(string name) => _informers.Pods().Cache.Get(Namespace, name);

        // Re-checks on every node or pod event instead of sleeping.
        public async Task WaitUntilAsync(Func<bool> condition, CancellationToken token)
        {
            while (!condition())
            {
                await _changed.WaitAsync(token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _running;
            await _informers.DisposeAsync();
            _lifecycle.Dispose();
            _eviction.Dispose();
            _stop.Dispose();
            _changed.Dispose();
        }
    }

    /// <summary>The test as kubelet for some nodes: renews their Leases every 300 ms until disposed.</summary>
    private sealed class Kubelet : IDisposable
    {
        private readonly HashSet<string> _nodes;
        private readonly Lock _lock = new();
        private readonly CancellationTokenSource _stop;
        private readonly Task _loop;

        private Kubelet(Kubernetes client, IEnumerable<string> nodes, CancellationToken token)
        {
            _nodes = [.. nodes];
            _stop = CancellationTokenSource.CreateLinkedTokenSource(token);
            _loop = RunAsync(client, _stop.Token);
        }

        public static Kubelet Renew(Kubernetes client, IEnumerable<string> nodes, CancellationToken token) => new(client, nodes, token);

        public void Add(string node)
        {
            lock (_lock)
            {
                _nodes.Add(node);
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(10));
            }
            catch (AggregateException)
            {
                // Cancelled.
            }

            _stop.Dispose();
        }

        private async Task RunAsync(Kubernetes client, CancellationToken token)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(300));
            try
            {
                while (await timer.WaitForNextTickAsync(token))
                {
                    string[] nodes;
                    lock (_lock)
                    {
                        nodes = [.. _nodes];
                    }

                    foreach (string node in nodes)
                    {
                        // MicroTime: sub-second renewals still move renewTime forward.
                        string patch = "{\"spec\":{\"renewTime\":\"" + DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture) + "\"}}";
                        await client.CoordinationV1.PatchNamespacedLeaseAsync(
                            new V1Patch(patch, V1Patch.PatchType.MergePatch), node, NodeLifecycleController.NodeLeaseNamespace, cancellationToken: token);
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Stopped.
            }
        }
    }
}
