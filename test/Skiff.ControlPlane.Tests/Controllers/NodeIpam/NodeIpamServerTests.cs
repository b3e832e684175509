using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Skiff.ControlPlane.Controllers.NodeIpam;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Tests.Controllers.NodeIpam;

/// <summary>The node IPAM controller against a real server, with a cluster CIDR that holds exactly two node CIDRs.</summary>
public sealed class NodeIpamServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private static readonly IPNetwork s_clusterCidr = IPNetwork.Parse("10.99.0.0/23");

    [Fact]
    public async Task Nodes_GetDistinctCidrs_ExhaustionIsReported_DeletedCidrsAreReused_AndARestartRespectsExistingOnes()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        var events = new RecordingEventRecorder();
        await using (var first = await Harness.StartAsync(client, events, token))
        {
            await CreateNodeAsync(client, "ipam-a", token);
            await CreateNodeAsync(client, "ipam-b", token);
            await first.WaitUntilAsync(() => first.PodCidr("ipam-a") is not null && first.PodCidr("ipam-b") is not null, token);

            string a = first.PodCidr("ipam-a")!;
            string b = first.PodCidr("ipam-b")!;
            Assert.NotEqual(a, b);
            Assert.All([a, b], cidr => Assert.Contains(cidr, new[] { "10.99.0.0/24", "10.99.1.0/24" }));
            Assert.Equal([a], first.NodeOf("ipam-a").Spec.PodCIDRs);

            // The range holds two: the third node waits, with an event saying why.
            await CreateNodeAsync(client, "ipam-c", token);
            await first.WaitUntilAsync(() => events.Has("ipam-c", "CIDRNotAvailable", "Node ipam-c status is now: CIDRNotAvailable"), token);
            Assert.Null(first.PodCidr("ipam-c"));

            // Deleting a node frees its CIDR for the waiting one.
            await client.CoreV1.DeleteNodeAsync("ipam-a", cancellationToken: token);
            await first.WaitUntilAsync(() => first.PodCidr("ipam-c") is not null, token);
            Assert.Equal(a, first.PodCidr("ipam-c"));
        }

        // A new leader (or a restarted server) starts from what the nodes hold: both CIDRs are taken, none is handed out twice.
        var afterRestart = new RecordingEventRecorder();
        await using var second = await Harness.StartAsync(client, afterRestart, token);
        await CreateNodeAsync(client, "ipam-d", token);
        await second.WaitUntilAsync(() => afterRestart.Has("ipam-d", "CIDRNotAvailable"), token);
        Assert.Null(second.PodCidr("ipam-d"));

        await client.CoreV1.DeleteNodeAsync("ipam-b", cancellationToken: token);
        await second.WaitUntilAsync(() => second.PodCidr("ipam-d") is not null, token);
        Assert.NotEqual(second.PodCidr("ipam-c"), second.PodCidr("ipam-d"));

        foreach (string name in new[] { "ipam-c", "ipam-d" })
        {
            await client.CoreV1.DeleteNodeAsync(name, cancellationToken: token);
        }
    }

    private static async Task CreateNodeAsync(Kubernetes client, string name, CancellationToken token) =>
        await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = name } }, cancellationToken: token);

    private sealed class Harness : IAsyncDisposable
    {
        private readonly SharedInformerFactory _informers;
        private readonly CancellationTokenSource _stop;
        private readonly SemaphoreSlim _changed = new(0);
        private readonly NodeIpamController _controller;
        private Task _running = Task.CompletedTask;

        private Harness(Kubernetes client, RecordingEventRecorder events, CancellationToken token)
        {
            _informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
            _stop = CancellationTokenSource.CreateLinkedTokenSource(token);
            var options = Options.Create(new ControlPlaneOptions { ClusterCidr = s_clusterCidr, NodeCidrMaskSize = 24 });
            _controller = new NodeIpamController(client, options, TimeProvider.System, NullLogger<NodeIpamController>.Instance, events);
            events.Recorded = () => _changed.Release();
        }

        public static async Task<Harness> StartAsync(Kubernetes client, RecordingEventRecorder events, CancellationToken token)
        {
            var harness = new Harness(client, events, token);
            harness._controller.Register(harness._informers);
            harness._informers.Nodes().AddEventHandler(new InformerHandler<V1Node>(_ => harness._changed.Release(), (_, _) => harness._changed.Release(), _ => harness._changed.Release()));
            harness._informers.Start(harness._stop.Token);
            harness._running = harness._controller.RunAsync(harness._stop.Token);
            await harness._informers.WaitForCacheSyncAsync(token);
            return harness;
        }

        public V1Node NodeOf(string name) => _informers.Nodes().Cache.Get(null, name) ?? throw new InvalidOperationException($"No node {name}.");

        public string? PodCidr(string name) => _informers.Nodes().Cache.Get(null, name)?.Spec?.PodCIDR;

        // Re-checks on every node event or recorded event instead of sleeping.
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
            _controller.Dispose();
            _stop.Dispose();
            _changed.Dispose();
        }
    }
}
