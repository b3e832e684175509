using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Proxy;
using Skiff.TestKit.Network;

namespace Skiff.Agent.Tests.Proxy;

/// <summary>
/// Real packets through the proxy's rules: a client pod, the node itself and an outside host reach busybox httpd pods through
/// ClusterIP, NodePort and load-balancer addresses (see <see cref="ProxyNetwork"/> for the namespaces).
/// </summary>
public sealed class ServiceProxyTrafficTests(ProxyTrafficFixture fixture) : IClassFixture<ProxyTrafficFixture>
{
    private const int Requests = 24;
    private static readonly string[] s_pods = [.. Enumerable.Range(0, 3).Select(ProxyNetwork.PodName)];

    private ProxyNetwork Net => fixture.Network;

    private async Task<V1Service> CreateAsync(string name, Action<V1Service>? configure, params (int Pod, string? Node)[] endpoints)
    {
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080, Protocol = "TCP" }] },
        };
        configure?.Invoke(service);
        V1Service created = await fixture.ApplyAsync(() => fixture.Client.CoreV1.CreateNamespacedServiceAsync(service, "default"));
        await SetEndpointsAsync(name, endpoints);
        return created;
    }

    private Task<V1EndpointSlice> SetEndpointsAsync(string service, params (int Pod, string? Node)[] endpoints)
    {
        V1EndpointSlice slice = ProxyObjects.Slice(service, 8080, endpoints.Select(e => ProxyObjects.Endpoint(ProxyNetwork.PodIps[e.Pod], node: e.Node)), portName: "http");
        return fixture.ApplyAsync(async () =>
        {
            try
            {
                V1EndpointSlice current = await fixture.Client.DiscoveryV1.ReadNamespacedEndpointSliceAsync(slice.Metadata.Name, "default");
                slice.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
                return await fixture.Client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, slice.Metadata.Name, "default");
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return await fixture.Client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(slice, "default");
            }
        });
    }

    private static async Task<Dictionary<string, int>> CountAsync(NetworkNamespace netns, string host, int port, int requests = Requests)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < requests; i++)
        {
            var (page, error) = await ProxyNetwork.GetAsync(netns, host, port, CancellationToken.None);
            string key = page ?? "error: " + error;
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        return counts;
    }

    [Fact]
    public async Task ClusterIp_FromClientPodAndFromNode_ReachesBothBackends()
    {
        V1Service service = await CreateAsync("both", null, (0, ProxyTrafficFixture.NodeName), (1, ProxyTrafficFixture.NodeName));

        Dictionary<string, int> fromPod = await CountAsync(Net.Client, service.Spec.ClusterIP, 80);
        Dictionary<string, int> fromNode = await CountAsync(Net.Node, service.Spec.ClusterIP, 80);

        Assert.Equal(s_pods[..2], fromPod.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(s_pods[..2], fromNode.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task NodePort_OnNodeAddressFromOutsideAndOnLoopbackInsideNode_Answers()
    {
        V1Service service = await CreateAsync("np", s => s.Spec.Type = "NodePort", (0, ProxyTrafficFixture.NodeName), (1, "other-node"));
        int nodePort = service.Spec.Ports[0].NodePort ?? 0;
        Assert.InRange(nodePort, 30000, 32767);

        Dictionary<string, int> outside = await CountAsync(Net.Outside, ProxyNetwork.NodeAddress, nodePort);
        Dictionary<string, int> loopback = await CountAsync(Net.Node, "127.0.0.1", nodePort);

        Assert.Equal(s_pods[..2], outside.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(s_pods[..2], loopback.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task LoadBalancerIngressIp_FromOutside_ReachesBackends()
    {
        // A class of its own keeps skiff's service load balancer (the fixture's controller manager) from writing the status.
        await CreateAsync("lb", s =>
        {
            s.Spec.Type = "LoadBalancer";
            s.Spec.LoadBalancerClass = "example.com/test-lb";
        }, (0, ProxyTrafficFixture.NodeName), (2, "other-node"));
        V1Service service = await fixture.Client.CoreV1.ReadNamespacedServiceAsync("lb", "default");
        service.Status = new V1ServiceStatus { LoadBalancer = new V1LoadBalancerStatus { Ingress = [new V1LoadBalancerIngress { Ip = "192.0.2.50" }] } };
        await fixture.ApplyAsync(() => fixture.Client.CoreV1.ReplaceNamespacedServiceStatusAsync(service, "lb", "default"));

        Dictionary<string, int> outside = await CountAsync(Net.Outside, "192.0.2.50", 80);

        Assert.Equal(["pod1", "pod3"], outside.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task NoEndpoints_ConnectionIsRefusedAtOnce()
    {
        V1Service service = await CreateAsync("none", s => s.Spec.Type = "NodePort");

        var clock = Stopwatch.StartNew();
        var (page, error) = await ProxyNetwork.GetAsync(Net.Client, service.Spec.ClusterIP, 80, CancellationToken.None);
        TimeSpan clusterIp = clock.Elapsed;
        var (nodePortPage, nodePortError) = await ProxyNetwork.GetAsync(Net.Outside, ProxyNetwork.NodeAddress, service.Spec.Ports[0].NodePort ?? 0, CancellationToken.None);

        Assert.Null(page);
        Assert.StartsWith("exit 7:", error, StringComparison.Ordinal);
        Assert.True(clusterIp < TimeSpan.FromSeconds(1.5), "took " + clusterIp);
        Assert.Null(nodePortPage);
        Assert.StartsWith("exit 7:", nodePortError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemovingAnEndpoint_StopsTrafficToIt()
    {
        V1Service service = await CreateAsync("shrink", null, (0, null), (1, null));
        Assert.Equal(s_pods[..2], (await CountAsync(Net.Client, service.Spec.ClusterIP, 80)).Keys.Order(StringComparer.Ordinal));

        await SetEndpointsAsync("shrink", (1, null));

        Assert.Equal(["pod2"], (await CountAsync(Net.Client, service.Spec.ClusterIP, 80)).Keys);
    }

    [Fact]
    public async Task SessionAffinityClientIp_SticksToOneBackend()
    {
        V1Service service = await CreateAsync("sticky", s => s.Spec.SessionAffinity = "ClientIP", (0, null), (1, null), (2, null));

        Dictionary<string, int> fromPod = await CountAsync(Net.Client, service.Spec.ClusterIP, 80);

        Assert.Equal(Requests, Assert.Single(fromPod).Value);
    }

    [Fact]
    public async Task ExternalTrafficPolicyLocal_OutsideTrafficOnlyReachesLocalEndpoints()
    {
        V1Service local = await CreateAsync("etp", s =>
        {
            s.Spec.Type = "NodePort";
            s.Spec.ExternalTrafficPolicy = "Local";
        }, (0, ProxyTrafficFixture.NodeName), (1, "other-node"));
        V1Service remote = await CreateAsync("etp-remote", s =>
        {
            s.Spec.Type = "NodePort";
            s.Spec.ExternalTrafficPolicy = "Local";
        }, (1, "other-node"));

        Dictionary<string, int> outside = await CountAsync(Net.Outside, ProxyNetwork.NodeAddress, local.Spec.Ports[0].NodePort ?? 0);
        Dictionary<string, int> clusterIp = await CountAsync(Net.Client, local.Spec.ClusterIP, 80);
        var (dropped, dropError) = await ProxyNetwork.GetAsync(Net.Outside, ProxyNetwork.NodeAddress, remote.Spec.Ports[0].NodePort ?? 0, CancellationToken.None);
        var (viaClusterIp, _) = await ProxyNetwork.GetAsync(Net.Client, remote.Spec.ClusterIP, 80, CancellationToken.None);

        Assert.Equal(["pod1"], outside.Keys);
        Assert.Equal(s_pods[..2], clusterIp.Keys.Order(StringComparer.Ordinal));
        Assert.Null(dropped);
        Assert.StartsWith("exit 28:", dropError, StringComparison.Ordinal);
        Assert.Equal("pod2", viaClusterIp);
    }

    [Fact]
    public async Task Hairpin_PodReachesItselfThroughItsService()
    {
        V1Service service = await CreateAsync("hairpin", null, (2, null));

        Dictionary<string, int> fromItself = await CountAsync(Net.Pod(2), service.Spec.ClusterIP, 80, 5);

        Assert.Equal(["pod3"], fromItself.Keys);
    }

    [Fact]
    public async Task RunAsync_Cancelled_RemovesItsChainsAndJumps()
    {
        await using ProxyNetwork bare = await ProxyNetwork.CreateAsync(withPods: false, CancellationToken.None);
        var proxy = new ServiceProxy(fixture.Client, ProxyTrafficFixture.Options(bare.Node), NullLoggerFactory.Instance, TimeProvider.System);
        var synced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Synced += (_, _) => synced.TrySetResult();
        using var stop = new CancellationTokenSource();
        Task running = proxy.RunAsync(stop.Token);
        await synced.Task.WaitAsync(TimeSpan.FromSeconds(30));
        string during = await bare.Node.Command.RunAsync("iptables-save", []);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        string after = await bare.Node.Command.RunAsync("iptables-save", []);

        Assert.Contains("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES", during, StringComparison.Ordinal);
        Assert.Contains(":KUBE-SVC-", during, StringComparison.Ordinal);
        Assert.DoesNotContain("KUBE-", after, StringComparison.Ordinal);
    }
}
