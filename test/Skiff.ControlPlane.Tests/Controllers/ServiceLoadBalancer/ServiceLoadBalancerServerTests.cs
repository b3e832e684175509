using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Skiff.ControlPlane.Controllers.ServiceLoadBalancer;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Tests.Controllers.ServiceLoadBalancer;

/// <summary>
/// The service load balancer against a real server: with a pool that holds two addresses, and without a pool (the Ready nodes'
/// InternalIPs). The test plays the kubelet by writing Node status.
/// </summary>
public sealed class ServiceLoadBalancerServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private static readonly IPNetwork s_pool = IPNetwork.Parse("192.168.200.0/30");

    [Fact]
    public async Task Pool_AllocatesHonoursLoadBalancerIP_ReportsExhaustion_ReusesReleasedAddresses_AndSurvivesARestart()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        const string ns = "lb-pool";
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: token);
        var events = new RecordingEventRecorder();
        await using (var first = await Harness.StartAsync(client, s_pool, events, token))
        {
            // spec.loadBalancerIP inside the pool and free: that one. Another Service: the lowest free address.
            await CreateServiceAsync(client, ns, "lb-b", token, loadBalancerIp: "192.168.200.2");
            await first.WaitUntilAsync(() => first.Ips(ns, "lb-b") == "192.168.200.2", token);
            await CreateServiceAsync(client, ns, "lb-a", token);
            await first.WaitUntilAsync(() => first.Ips(ns, "lb-a") == "192.168.200.1", token);
            V1LoadBalancerIngress ingress = Assert.Single(first.Service(ns, "lb-a")!.Status.LoadBalancer.Ingress);
            Assert.Equal("VIP", ingress.IpMode);
            Assert.True(events.Has("lb-a", ServiceLoadBalancerController.IpAllocatedReason, "Assigned IP [\"192.168.200.1\"]"));

            // The pool is full: a Warning event, no address.
            await CreateServiceAsync(client, ns, "lb-c", token);
            await first.WaitUntilAsync(() => Failed(events, "lb-c", "exhausted"), token);
            Assert.Equal(string.Empty, first.Ips(ns, "lb-c"));
            RecordedEvent full = events.Events.First(e => e.Name == "lb-c" && e.Reason == ServiceLoadBalancerController.AllocationFailedReason);
            Assert.Equal("Warning", full.Type);
            Assert.Equal("Failed to allocate IP for \"lb-pool/lb-c\": no available IPs: the pool 192.168.200.0/30 is exhausted (2 of 2 addresses in use)", full.Message);

            // A loadBalancerIP outside the pool (or the pool's network address) is refused with a Warning event.
            await CreateServiceAsync(client, ns, "lb-outside", token, loadBalancerIp: "10.9.9.9");
            await CreateServiceAsync(client, ns, "lb-network", token, loadBalancerIp: "192.168.200.0");
            await first.WaitUntilAsync(() => Failed(events, "lb-outside", "not an address the pool") && Failed(events, "lb-network", "not an address the pool"), token);
            Assert.Equal(string.Empty, first.Ips(ns, "lb-outside"));

            // A Service with a loadBalancerClass belongs to another implementation.
            await CreateServiceAsync(client, ns, "lb-classed", token, loadBalancerClass: "example.com/other");

            // Deleting a Service frees its address for the one waiting.
            await DeleteServiceAsync(client, ns, "lb-a", token);
            await first.WaitUntilAsync(() => first.Ips(ns, "lb-c") == "192.168.200.1", token);
            Assert.Equal(string.Empty, first.Ips(ns, "lb-classed"));
            // Handled by this controller it would have queued for the full pool and got an exhaustion Warning.
            Assert.DoesNotContain(events.Events, e => e.Name == "lb-classed");
            Assert.Equal(string.Empty, first.Ips(ns, "lb-outside"));
        }

        // A Service created while no controller runs (it sorts first, so it may well be handled first), then a restarted
        // controller or a new leader: it starts from what the Services show, both addresses stay taken, none is given twice.
        await CreateServiceAsync(client, ns, "lb-0", token);
        var afterRestart = new RecordingEventRecorder();
        await using var second = await Harness.StartAsync(client, s_pool, afterRestart, token);
        await second.WaitUntilAsync(() => Failed(afterRestart, "lb-0", "exhausted"), token);
        Assert.Equal("192.168.200.2", second.Ips(ns, "lb-b"));
        Assert.Equal("192.168.200.1", second.Ips(ns, "lb-c"));
        Assert.Equal(string.Empty, second.Ips(ns, "lb-0"));
        Assert.False(afterRestart.Has("lb-b", ServiceLoadBalancerController.IpAllocatedReason));

        // A Service that stops being a LoadBalancer loses its status and frees its address.
        V1Service b = await client.CoreV1.ReadNamespacedServiceAsync("lb-b", ns, cancellationToken: token);
        b.Spec.Type = "ClusterIP";
        foreach (V1ServicePort port in b.Spec.Ports)
        {
            port.NodePort = null;
        }

        await client.CoreV1.ReplaceNamespacedServiceAsync(b, "lb-b", ns, cancellationToken: token);
        await second.WaitUntilAsync(() => second.Ips(ns, "lb-0") == "192.168.200.2" && second.Service(ns, "lb-b")?.Status?.LoadBalancer?.Ingress is null or { Count: 0 }, token);
        Assert.Equal("192.168.200.1", second.Ips(ns, "lb-c"));

        foreach (string name in new[] { "lb-0", "lb-b", "lb-c", "lb-outside", "lb-network", "lb-classed" })
        {
            await DeleteServiceAsync(client, ns, name, token);
        }
    }

    [Fact]
    public async Task NoPool_IngressIsTheReadyNodesInternalIPs_AndFollowsReadiness()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        const string ns = "lb-nodes";
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: token);
        await using var harness = await Harness.StartAsync(client, pool: null, new RecordingEventRecorder(), token);
        await CreateNodeAsync(client, "lb-node-a", "172.31.0.11", ready: true, token);
        await CreateNodeAsync(client, "lb-node-b", "172.31.0.9", ready: false, token);

        await CreateServiceAsync(client, ns, "web", token);
        await CreateServiceAsync(client, ns, "plain", token, type: "ClusterIP");
        await harness.WaitUntilAsync(() => harness.Ips(ns, "web") == "172.31.0.11", token);
        Assert.Equal("VIP", Assert.Single(harness.Service(ns, "web")!.Status.LoadBalancer.Ingress).IpMode);

        // A node turns Ready: it joins (address order); another turns NotReady: it leaves.
        await SetNodeStatusAsync(client, "lb-node-b", "172.31.0.9", ready: true, token);
        await harness.WaitUntilAsync(() => harness.Ips(ns, "web") == "172.31.0.9,172.31.0.11", token);
        await SetNodeStatusAsync(client, "lb-node-a", "172.31.0.11", ready: false, token);
        await harness.WaitUntilAsync(() => harness.Ips(ns, "web") == "172.31.0.9", token);

        // A node that goes away leaves too; no Ready node leaves the Service pending.
        await client.CoreV1.DeleteNodeAsync("lb-node-b", cancellationToken: token);
        await harness.WaitUntilAsync(() => harness.Ips(ns, "web") == string.Empty, token);
        Assert.Equal(string.Empty, harness.Ips(ns, "plain"));

        await client.CoreV1.DeleteNodeAsync("lb-node-a", cancellationToken: token);
        await DeleteServiceAsync(client, ns, "web", token);
        await DeleteServiceAsync(client, ns, "plain", token);
    }

    private static bool Failed(RecordingEventRecorder events, string name, string text) =>
        events.Events.Any(e => e.Name == name && e.Type == "Warning" && e.Reason == ServiceLoadBalancerController.AllocationFailedReason && e.Message.Contains(text, StringComparison.Ordinal));

    private static async Task CreateServiceAsync(
        Kubernetes client, string ns, string name, CancellationToken token, string type = "LoadBalancer", string? loadBalancerIp = null, string? loadBalancerClass = null) =>
        await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ServiceSpec
            {
                Type = type,
                Selector = new Dictionary<string, string> { ["app"] = name },
                Ports = [new V1ServicePort { Name = "http", Port = 80 }],
                LoadBalancerIP = loadBalancerIp,
                LoadBalancerClass = loadBalancerClass,
            },
        }, ns, cancellationToken: token);

    // Raw DELETE: the generated client wants a Service back, the server answers with a Status.
    private static async Task DeleteServiceAsync(Kubernetes client, string ns, string name, CancellationToken token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(client.BaseUri, $"api/v1/namespaces/{ns}/services/{name}"));
        using HttpResponseMessage response = await client.HttpClient.SendAsync(request, token);
        Assert.True(response.IsSuccessStatusCode, $"DELETE service {ns}/{name}: {response.StatusCode}");
    }

    private static async Task CreateNodeAsync(Kubernetes client, string name, string internalIp, bool ready, CancellationToken token)
    {
        await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = name } }, cancellationToken: token);
        await SetNodeStatusAsync(client, name, internalIp, ready, token);
    }

    // The test as kubelet: addresses and the Ready condition.
    private static async Task SetNodeStatusAsync(Kubernetes client, string name, string internalIp, bool ready, CancellationToken token)
    {
        for (int attempt = 0; ; attempt++)
        {
            V1Node node = await client.CoreV1.ReadNodeAsync(name, cancellationToken: token);
            node.Status ??= new V1NodeStatus();
            node.Status.Addresses = [new V1NodeAddress { Type = "InternalIP", Address = internalIp }, new V1NodeAddress { Type = "Hostname", Address = name }];
            node.Status.Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "False" }];
            try
            {
                await client.CoreV1.ReplaceNodeStatusAsync(node, name, cancellationToken: token);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
            }
        }
    }

    private sealed class Harness : IAsyncDisposable
    {
        private readonly SharedInformerFactory _informers;
        private readonly CancellationTokenSource _stop;
        private readonly SemaphoreSlim _changed = new(0);
        private readonly ServiceLoadBalancerController _controller;
        private Task _running = Task.CompletedTask;

        private Harness(Kubernetes client, IPNetwork? pool, RecordingEventRecorder events, CancellationToken token)
        {
            _informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
            _stop = CancellationTokenSource.CreateLinkedTokenSource(token);
            var options = Options.Create(new ControlPlaneOptions { LoadBalancerPool = pool });
            _controller = new ServiceLoadBalancerController(client, options, TimeProvider.System, NullLogger<ServiceLoadBalancerController>.Instance, events);
            events.Recorded = () => _changed.Release();
        }

        public static async Task<Harness> StartAsync(Kubernetes client, IPNetwork? pool, RecordingEventRecorder events, CancellationToken token)
        {
            var harness = new Harness(client, pool, events, token);
            harness._controller.Register(harness._informers);
            harness._informers.Services().AddEventHandler(InformerSignal.Signal<V1Service>(harness._changed));
            harness._informers.Start(harness._stop.Token);
            harness._running = harness._controller.RunAsync(harness._stop.Token);
            await harness._informers.WaitForCacheSyncAsync(token);
            return harness;
        }

        public V1Service? Service(string ns, string name) => _informers.Services().Cache.Get(ns, name);

        /// <summary>The ingress IPs the Service shows, comma-separated in status order.</summary>
        public string Ips(string ns, string name) =>
            string.Join(",", (Service(ns, name)?.Status?.LoadBalancer?.Ingress ?? []).Select(i => i.Ip));

        // Re-checks on every Service event or recorded event instead of sleeping.
        public Task WaitUntilAsync(Func<bool> condition, CancellationToken token) => InformerSignal.WaitUntilAsync(_changed, condition, token);

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
