using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Controllers.Endpoints;
using Skiff.ControlPlane.Controllers.EndpointSlice;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Informers;
using static Skiff.ControlPlane.Tests.Server.InformerSignal;

namespace Skiff.ControlPlane.Tests.Controllers.Endpoints;

/// <summary>
/// The Endpoints and EndpointSlice controllers against a real server; the test plays the kubelet by writing pod status
/// (podIP and the Ready condition).
/// </summary>
public sealed class EndpointsServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private const string Namespace = "default";

    [Fact]
    public async Task Service_PodsBecomeReadyNotReadyAndDeleted_EndpointsAndSlicesFollow()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        await using var informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        using var endpoints = new EndpointsController(client, TimeProvider.System, NullLogger<EndpointsController>.Instance, workers: 2);
        using var slices = new EndpointSliceController(client, TimeProvider.System, NullLogger<EndpointSliceController>.Instance, workers: 2);
        endpoints.Register(informers);
        slices.Register(informers);
        var changed = new SemaphoreSlim(0);
        informers.Endpoints().AddEventHandler(Signal<V1Endpoints>(changed));
        informers.EndpointSlices().AddEventHandler(Signal<V1EndpointSlice>(changed));
        informers.Pods().AddEventHandler(Signal<V1Pod>(changed));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        informers.Start(stop.Token);
        Task running = Task.WhenAll(endpoints.RunAsync(stop.Token), slices.RunAsync(stop.Token));

        V1Service service = await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "ep-web", Labels = new Dictionary<string, string> { ["tier"] = "front" } },
            Spec = new V1ServiceSpec
            {
                Selector = new Dictionary<string, string> { ["app"] = "ep-web" },
                Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = "http" }],
            },
        }, Namespace, cancellationToken: token);
        for (int i = 1; i <= 3; i++)
        {
            await client.CoreV1.CreateNamespacedPodAsync(NewPod("ep-web-" + i), Namespace, cancellationToken: token);
        }

        // A Service without pods yet: empty Endpoints and one placeholder slice.
        await WaitUntilAsync(changed, () => informers.Endpoints().Cache.Get(Namespace, "ep-web") is { } e && e.Subsets is null && Slices(informers).Count == 1, token);

        await SetStatusAsync(client, "ep-web-1", "10.42.0.11", ready: true, token);
        await SetStatusAsync(client, "ep-web-2", "10.42.0.12", ready: true, token);
        await SetStatusAsync(client, "ep-web-3", "10.42.0.13", ready: false, token);
        await WaitUntilAsync(changed, () => ReadyIps(informers) == "10.42.0.11,10.42.0.12" && NotReadyIps(informers) == "10.42.0.13" && SliceIps(informers) == "10.42.0.11,10.42.0.12,10.42.0.13", token);

        V1Endpoints current = informers.Endpoints().Cache.Get(Namespace, "ep-web")!;
        V1EndpointSubset subset = Assert.Single(current.Subsets);
        Assert.Equal(("http", 8080), (Assert.Single(subset.Ports).Name, subset.Ports[0].Port));
        Assert.Equal(("Pod", "ep-web-1", "node-a"), (subset.Addresses[0].TargetRef.Kind, subset.Addresses[0].TargetRef.Name, subset.Addresses[0].NodeName));
        Assert.Equal("front", current.Metadata.Labels["tier"]);
        Assert.True(current.Metadata.Annotations.ContainsKey(ServicePods.LastChangeTriggerTimeAnnotation));
        V1EndpointSlice slice = Assert.Single(Slices(informers));
        Assert.StartsWith("ep-web-", slice.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal(service.Metadata.Uid, Assert.Single(slice.Metadata.OwnerReferences).Uid);
        Assert.Equal((false, false, false), Conditions(slice, "ep-web-3"));
        Assert.Equal((true, true, false), Conditions(slice, "ep-web-1"));

        // A ready pod turns not ready: it moves to notReadyAddresses.
        await SetStatusAsync(client, "ep-web-2", "10.42.0.12", ready: false, token);
        await WaitUntilAsync(changed, () => ReadyIps(informers) == "10.42.0.11" && NotReadyIps(informers) == "10.42.0.12,10.42.0.13", token);

        // Pod deletion, step 3: the pod is only marked (a node holds it for its grace period), and its IP already leaves
        // the Endpoints; the slice keeps it as terminating, updated in place.
        await client.CoreV1.DeleteNamespacedPodAsync("ep-web-1", Namespace, cancellationToken: token);
        await WaitUntilAsync(changed, () => ReadyIps(informers) == string.Empty && Slices(informers) is [{ } s] && Conditions(s, "ep-web-1") == (false, true, true), token);
        Assert.NotNull(informers.Pods().Cache.Get(Namespace, "ep-web-1")?.Metadata.DeletionTimestamp);
        Assert.Equal(slice.Metadata.Name, Assert.Single(Slices(informers)).Metadata.Name);

        // Gone for good (the kubelet's final delete): it leaves the slice too.
        await client.CoreV1.DeleteNamespacedPodAsync("ep-web-1", Namespace, new V1DeleteOptions { GracePeriodSeconds = 0 }, cancellationToken: token);
        await WaitUntilAsync(changed, () => SliceIps(informers) == "10.42.0.12,10.42.0.13", token);

        // The Service goes: so do its Endpoints and slices.
        // Raw DELETE: the generated client wants a Service back, the server answers with a Status.
        using (var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(client.BaseUri, $"api/v1/namespaces/{Namespace}/services/ep-web")))
        using (HttpResponseMessage response = await client.HttpClient.SendAsync(request, token))
        {
            Assert.True(response.IsSuccessStatusCode);
        }

        await WaitUntilAsync(changed, () => informers.Endpoints().Cache.Get(Namespace, "ep-web") is null && Slices(informers).Count == 0, token);

        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task ServiceWithoutSelector_UserEndpointsAreLeftAlone()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        await using var informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        using var endpoints = new EndpointsController(client, TimeProvider.System, NullLogger<EndpointsController>.Instance, workers: 1);
        endpoints.Register(informers);
        var changed = new SemaphoreSlim(0);
        informers.Endpoints().AddEventHandler(Signal<V1Endpoints>(changed));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        informers.Start(stop.Token);
        Task running = endpoints.RunAsync(stop.Token);

        await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "external" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 5432 }] },
        }, Namespace, cancellationToken: token);
        await client.CoreV1.CreateNamespacedEndpointsAsync(new V1Endpoints
        {
            Metadata = new V1ObjectMeta { Name = "external" },
            Subsets = [new V1EndpointSubset { Addresses = [new V1EndpointAddress { Ip = "192.0.2.7" }], Ports = [new Corev1EndpointPort { Port = 5432 }] }],
        }, Namespace, cancellationToken: token);

        // One worker takes keys in order: once a later Service's Endpoints exist, the selectorless one was handled before.
        await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "later" },
            Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "later" }, Ports = [new V1ServicePort { Port = 80 }] },
        }, Namespace, cancellationToken: token);
        await WaitUntilAsync(changed, () => informers.Endpoints().Cache.Get(Namespace, "later") is not null, token);

        V1Endpoints kept = await client.CoreV1.ReadNamespacedEndpointsAsync("external", Namespace, cancellationToken: token);
        Assert.Equal("192.0.2.7", Assert.Single(Assert.Single(kept.Subsets).Addresses).Ip);

        await stop.CancelAsync();
        await running;
    }

    private static V1Pod NewPod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = "ep-web" } },
        Spec = new V1PodSpec
        {
            // Bound to a node, so a delete waits for the grace period as it would for a kubelet.
            NodeName = "node-a",
            Containers = [new V1Container { Name = "web", Image = "nginx", Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080 }] }],
        },
    };

    // The test as kubelet.
    private static async Task SetStatusAsync(Kubernetes client, string name, string ip, bool ready, CancellationToken token)
    {
        for (int attempt = 0; ; attempt++)
        {
            V1Pod pod = await client.CoreV1.ReadNamespacedPodAsync(name, Namespace, cancellationToken: token);
            pod.Status ??= new V1PodStatus();
            pod.Status.Phase = "Running";
            pod.Status.PodIP = ip;
            pod.Status.PodIPs = [new V1PodIP { Ip = ip }];
            pod.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }];
            try
            {
                await client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, name, Namespace, cancellationToken: token);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
            }
        }
    }

    private static List<V1EndpointSlice> Slices(SharedInformerFactory informers) =>
        [.. informers.EndpointSlices().Cache.ByIndex(CacheIndexers.Namespace, Namespace).Where(s => EndpointSliceSync.ServiceName(s) == "ep-web")];

    private static string ReadyIps(SharedInformerFactory informers) =>
        string.Join(",", (informers.Endpoints().Cache.Get(Namespace, "ep-web")?.Subsets ?? []).SelectMany(s => s.Addresses ?? []).Select(a => a.Ip).Order(StringComparer.Ordinal));

    private static string NotReadyIps(SharedInformerFactory informers) =>
        string.Join(",", (informers.Endpoints().Cache.Get(Namespace, "ep-web")?.Subsets ?? []).SelectMany(s => s.NotReadyAddresses ?? []).Select(a => a.Ip).Order(StringComparer.Ordinal));

    private static string SliceIps(SharedInformerFactory informers) =>
        string.Join(",", Slices(informers).SelectMany(s => s.Endpoints ?? []).SelectMany(e => e.Addresses).Order(StringComparer.Ordinal));

    private static (bool?, bool?, bool?) Conditions(V1EndpointSlice slice, string pod) =>
        (slice.Endpoints ?? []).FirstOrDefault(e => e.TargetRef?.Name == pod)?.Conditions is { } c ? (c.Ready, c.Serving, c.Terminating) : (null, null, null);
}
