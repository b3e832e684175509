using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Controllers.ResourceQuota;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Informers;
using static Skiff.ControlPlane.Tests.Server.InformerSignal;

namespace Skiff.ControlPlane.Tests.Controllers.ResourceQuota;

/// <summary>The resource quota controller against a real server: status.used follows the objects of the namespace.</summary>
public sealed class ResourceQuotaServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private const string Namespace = "quota-test";

    [Fact]
    public async Task Quota_ObjectsCreatedAndPodFinished_UsedFollows()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: token);
        await using var informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        using var controller = new ResourceQuotaController(client, TimeProvider.System, NullLogger<ResourceQuotaController>.Instance, workers: 1);
        controller.Register(informers);
        var changed = new SemaphoreSlim(0);
        informers.ResourceQuotas().AddEventHandler(new InformerHandler<V1ResourceQuota>(_ => changed.Release(), (_, _) => changed.Release(), _ => changed.Release()));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        informers.Start(stop.Token);
        Task running = controller.RunAsync(stop.Token);

        await client.CoreV1.CreateNamespacedResourceQuotaAsync(new V1ResourceQuota
        {
            Metadata = new V1ObjectMeta { Name = "compute" },
            Spec = new V1ResourceQuotaSpec
            {
                Hard = new Dictionary<string, ResourceQuantity>
                {
                    ["pods"] = new("5"),
                    ["requests.cpu"] = new("2"),
                    ["requests.memory"] = new("1Gi"),
                    ["limits.memory"] = new("2Gi"),
                    ["configmaps"] = new("10"),
                    ["services"] = new("3"),
                    ["count/deployments.apps"] = new("2"),
                },
            },
        }, Namespace, cancellationToken: token);
        await WaitUntilAsync(changed, () => Used("pods") == "0" && Used("configmaps") == "0" && Used("count/deployments.apps") == "0", token);
        Assert.Equal("1Gi", Quota()!.Status.Hard["requests.memory"].ToString());

        V1Pod pod = await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "worker" },
            Spec = new V1PodSpec
            {
                Containers =
                [
                    new V1Container
                    {
                        Name = "main",
                        Image = "busybox",
                        Resources = new V1ResourceRequirements
                        {
                            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("500m"), ["memory"] = new("128Mi") },
                            Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("256Mi") },
                        },
                    },
                ],
            },
        }, Namespace, cancellationToken: token);
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" } }, Namespace, cancellationToken: token);
        await client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = "api" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] } }, Namespace, cancellationToken: token);

        await WaitUntilAsync(changed, () => (Used("pods"), Used("requests.cpu"), Used("requests.memory"), Used("limits.memory"), Used("configmaps"), Used("services")) == ("1", "500m", "128Mi", "256Mi", "1", "1"), token);

        // The test as kubelet: the pod finishes and stops counting.
        pod.Status = new V1PodStatus { Phase = "Succeeded" };
        await client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, "worker", Namespace, cancellationToken: token);
        await WaitUntilAsync(changed, () => (Used("pods"), Used("requests.cpu")) == ("0", "0"), token);

        await stop.CancelAsync();
        await running;

        V1ResourceQuota? Quota() => informers.ResourceQuotas().Cache.Get(Namespace, "compute");
        string? Used(string resource) => Quota()?.Status?.Used?.TryGetValue(resource, out ResourceQuantity? q) == true ? q?.ToString() : null;
    }

    [Fact]
    public async Task Quota_StatusChargedBySomeoneElse_IsNotRecountedAtOnce()
    {
        const string ns = "quota-charge";
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: token);
        await using var informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        using var controller = new ResourceQuotaController(client, TimeProvider.System, NullLogger<ResourceQuotaController>.Instance, workers: 1);
        controller.Register(informers);
        var changed = new SemaphoreSlim(0);
        informers.ResourceQuotas().AddEventHandler(new InformerHandler<V1ResourceQuota>(_ => changed.Release(), (_, _) => changed.Release(), _ => changed.Release()));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        informers.Start(stop.Token);
        Task running = controller.RunAsync(stop.Token);

        foreach (string name in new[] { "charged", "marker" })
        {
            await client.CoreV1.CreateNamespacedResourceQuotaAsync(new V1ResourceQuota
            {
                Metadata = new V1ObjectMeta { Name = name },
                Spec = new V1ResourceQuotaSpec { Hard = new Dictionary<string, ResourceQuantity> { ["pods"] = new("1") } },
            }, ns, cancellationToken: token);
        }

        await WaitUntilAsync(changed, () => Used("charged") == "0" && Used("marker") == "0", token);

        // The admission plugin's charge for a pod that is not stored yet: only status.used changes.
        V1ResourceQuota charged = (await client.CoreV1.ReadNamespacedResourceQuotaAsync("charged", ns, cancellationToken: token))!;
        charged.Status.Used["pods"] = new ResourceQuantity("1");
        await client.CoreV1.ReplaceNamespacedResourceQuotaStatusAsync(charged, "charged", ns, cancellationToken: token);

        // A spec change of the other quota after the charge: with one worker, a recount the charge had queued would run first.
        V1ResourceQuota marker = (await client.CoreV1.ReadNamespacedResourceQuotaAsync("marker", ns, cancellationToken: token))!;
        marker.Spec.Hard["pods"] = new ResourceQuantity("2");
        await client.CoreV1.ReplaceNamespacedResourceQuotaAsync(marker, "marker", ns, cancellationToken: token);
        await WaitUntilAsync(changed, () => Hard("marker") == "2", token);

        Assert.Equal("1", Used("charged"));
        V1ResourceQuota stored = (await client.CoreV1.ReadNamespacedResourceQuotaAsync("charged", ns, cancellationToken: token))!;
        Assert.Equal("1", stored.Status.Used["pods"].ToString());

        await stop.CancelAsync();
        await running;

        V1ResourceQuota? Quota(string name) => informers.ResourceQuotas().Cache.Get(ns, name);
        string? Used(string name) => Quota(name)?.Status?.Used?.TryGetValue("pods", out ResourceQuantity? q) == true ? q?.ToString() : null;
        string? Hard(string name) => Quota(name)?.Status?.Hard?.TryGetValue("pods", out ResourceQuantity? q) == true ? q?.ToString() : null;
    }
}
