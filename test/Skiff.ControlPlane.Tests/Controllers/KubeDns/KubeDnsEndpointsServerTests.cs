using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Controllers.Endpoints;
using Skiff.ControlPlane.Controllers.EndpointSlice;
using Skiff.ControlPlane.Controllers.KubeDns;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Informers;
using static Skiff.ControlPlane.Tests.Server.InformerSignal;

namespace Skiff.ControlPlane.Tests.Controllers.KubeDns;

/// <summary>
/// The kube-dns endpoints controller against a real server (whose bootstrap created the selectorless kube-system/kube-dns
/// Service), running beside the Endpoints and EndpointSlice controllers as the controller manager runs them. The test plays the
/// agents: it writes each Node's Ready condition and its DNS address annotation.
/// </summary>
public sealed class KubeDnsEndpointsServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private const string Ns = "kube-system";
    private const string Annotation = "skiff.io/dns-address";

    [Fact]
    public async Task KubeDns_ListsTheDnsAddressOfEveryReadyAnnotatedNode_AndFollowsReadinessAndAnnotations()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        await using var informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        using var controller = new KubeDnsEndpointsController(client, TimeProvider.System, NullLogger<KubeDnsEndpointsController>.Instance);
        using var endpoints = new EndpointsController(client, TimeProvider.System, NullLogger<EndpointsController>.Instance, workers: 1);
        using var slices = new EndpointSliceController(client, TimeProvider.System, NullLogger<EndpointSliceController>.Instance, workers: 1);
        controller.Register(informers);
        endpoints.Register(informers);
        slices.Register(informers);
        var changed = new SemaphoreSlim(0);
        informers.Endpoints().AddEventHandler(Signal<V1Endpoints>(changed));
        informers.EndpointSlices().AddEventHandler(Signal<V1EndpointSlice>(changed));
        informers.Services().AddEventHandler(Signal<V1Service>(changed));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        informers.Start(stop.Token);
        Task running = Task.WhenAll(controller.RunAsync(stop.Token), endpoints.RunAsync(stop.Token), slices.RunAsync(stop.Token));

        // No DNS server yet: the Endpoints and the slice exist, empty, labelled as the proxies and DNS readers expect.
        await WaitUntilAsync(changed, () => Endpoints(informers) is not null && Slice(informers) is not null, token);
        V1Service service = informers.Services().Cache.Get(Ns, "kube-dns")!;
        V1Endpoints empty = Endpoints(informers)!;
        Assert.Null(empty.Subsets);
        Assert.Equal("true", empty.Metadata.Labels["endpointslice.kubernetes.io/skip-mirror"]);
        V1EndpointSlice slice = Slice(informers)!;
        Assert.Equal("kube-dns", slice.Metadata.Labels["kubernetes.io/service-name"]);
        Assert.Equal(KubeDnsSync.ManagedByValue, slice.Metadata.Labels["endpointslice.kubernetes.io/managed-by"]);
        Assert.Equal("IPv4", slice.AddressType);
        Assert.Equal(service.Metadata.Uid, Assert.Single(slice.Metadata.OwnerReferences).Uid);
        Assert.Equal("dns/53/UDP,dns-tcp/53/TCP", Ports(slice));

        // A Ready node with the annotation is listed; one without the annotation, or not Ready, is not.
        await CreateNodeAsync(client, "dns-b", dnsAddress: "10.42.1.1", ready: true, token);
        await CreateNodeAsync(client, "dns-a", dnsAddress: "10.42.0.1", ready: false, token);
        await CreateNodeAsync(client, "dns-c", dnsAddress: null, ready: true, token);
        await WaitUntilAsync(changed, () => SliceServers(informers) == "dns-b=10.42.1.1" && EndpointsServers(informers) == "dns-b=10.42.1.1", token);
        V1Endpoint endpoint = Assert.Single(Slice(informers)!.Endpoints);
        Assert.Equal((true, true, false), (endpoint.Conditions.Ready, endpoint.Conditions.Serving, endpoint.Conditions.Terminating));
        V1EndpointSubset subset = Assert.Single(Endpoints(informers)!.Subsets);
        Assert.Equal("dns/53/UDP,dns-tcp/53/TCP", string.Join(",", subset.Ports.Select(p => $"{p.Name}/{p.Port}/{p.Protocol}")));

        // dns-a turns Ready, dns-c publishes its address: both join, ordered by node name.
        await UpdateNodeAsync(client, "dns-a", dnsAddress: "10.42.0.1", ready: true, token);
        await UpdateNodeAsync(client, "dns-c", dnsAddress: "10.42.2.1", ready: true, token);
        await WaitUntilAsync(changed, () => SliceServers(informers) == "dns-a=10.42.0.1,dns-b=10.42.1.1,dns-c=10.42.2.1" && EndpointsServers(informers) == SliceServers(informers), token);

        // dns-b goes NotReady, dns-c drops the annotation (its DNS server stopped), dns-a moves to another address.
        await UpdateNodeAsync(client, "dns-b", dnsAddress: "10.42.1.1", ready: false, token);
        await UpdateNodeAsync(client, "dns-c", dnsAddress: null, ready: true, token);
        await UpdateNodeAsync(client, "dns-a", dnsAddress: "10.42.0.53", ready: true, token);
        await WaitUntilAsync(changed, () => SliceServers(informers) == "dns-a=10.42.0.53" && EndpointsServers(informers) == "dns-a=10.42.0.53", token);

        // Someone deletes the slice: it comes back. The Endpoints and EndpointSlice controllers never made their own.
        await client.DiscoveryV1.DeleteNamespacedEndpointSliceAsync("kube-dns", Ns, cancellationToken: token);
        await WaitUntilAsync(changed, () => Slice(informers) is { Metadata.DeletionTimestamp: null } s && SliceServers(informers) == "dns-a=10.42.0.53" && s.Metadata.Uid != slice.Metadata.Uid, token);
        Assert.Single(informers.EndpointSlices().Cache.ByIndex(CacheIndexers.Namespace, Ns), s => EndpointSliceSync.ServiceName(s) == "kube-dns");
        Assert.Equal(KubeDnsSync.ManagedByValue, Endpoints(informers)!.Metadata.Labels[EndpointsSync.ManagedByLabel]);

        // The last DNS node goes: both lists are empty again.
        await client.CoreV1.DeleteNodeAsync("dns-a", cancellationToken: token);
        await WaitUntilAsync(changed, () => SliceServers(informers) == string.Empty && Endpoints(informers)?.Subsets is null, token);

        await stop.CancelAsync();
        await running;
        foreach (string name in new[] { "dns-b", "dns-c" })
        {
            await client.CoreV1.DeleteNodeAsync(name, cancellationToken: token);
        }
    }

    private static V1Endpoints? Endpoints(SharedInformerFactory informers) => informers.Endpoints().Cache.Get(Ns, "kube-dns");

    private static V1EndpointSlice? Slice(SharedInformerFactory informers) => informers.EndpointSlices().Cache.Get(Ns, "kube-dns");

    private static string Ports(V1EndpointSlice slice) => string.Join(",", (slice.Ports ?? []).Select(p => $"{p.Name}/{p.Port}/{p.Protocol}"));

    private static string SliceServers(SharedInformerFactory informers) =>
        string.Join(",", (Slice(informers)?.Endpoints ?? []).Select(e => e.NodeName + "=" + string.Join("+", e.Addresses)));

    private static string EndpointsServers(SharedInformerFactory informers) =>
        string.Join(",", (Endpoints(informers)?.Subsets ?? []).SelectMany(s => s.Addresses ?? []).Select(a => a.NodeName + "=" + a.Ip));

    private static async Task CreateNodeAsync(Kubernetes client, string name, string? dnsAddress, bool ready, CancellationToken token)
    {
        await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = name } }, cancellationToken: token);
        await UpdateNodeAsync(client, name, dnsAddress, ready, token);
    }

    // The test as agent: the annotation on the Node, the Ready condition in its status.
    private static async Task UpdateNodeAsync(Kubernetes client, string name, string? dnsAddress, bool ready, CancellationToken token)
    {
        for (int attempt = 0; ; attempt++)
        {
            V1Node node = await client.CoreV1.ReadNodeAsync(name, cancellationToken: token);
            node.Metadata.Annotations ??= new Dictionary<string, string>();
            if (dnsAddress is null)
            {
                node.Metadata.Annotations.Remove(Annotation);
            }
            else
            {
                node.Metadata.Annotations[Annotation] = dnsAddress;
            }

            try
            {
                node = await client.CoreV1.ReplaceNodeAsync(node, name, cancellationToken: token);
                node.Status ??= new V1NodeStatus();
                node.Status.Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "False" }];
                await client.CoreV1.ReplaceNodeStatusAsync(node, name, cancellationToken: token);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
            }
        }
    }
}
