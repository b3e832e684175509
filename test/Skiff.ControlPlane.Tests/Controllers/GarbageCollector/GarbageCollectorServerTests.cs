using k8s;
using k8s.Autorest;
using k8s.Models;
using Skiff.ControlPlane.Controllers.GarbageCollector;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Catalog;

namespace Skiff.ControlPlane.Tests.Controllers.GarbageCollector;

/// <summary>
/// The garbage collector runs alone against a real server (no ReplicaSet or Deployment controller): each test builds a
/// Deployment → ReplicaSet → Pod chain by hand with ownerReferences, deletes the top with a propagation policy, and watches
/// what happens to the rest.
/// </summary>
public sealed class GarbageCollectorServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private const string Hold = "skiff.test/hold";

    [Fact]
    public async Task Delete_Background_OwnerGoesAtOnceThenReplicaSetAndPods()
    {
        await using var gc = await GcRun.StartAsync(fixture.Client);
        Chain chain = await CreateChainAsync(gc, "bg", pods: 2);

        await gc.Client.AppsV1.DeleteNamespacedDeploymentAsync("bg", gc.Namespace, propagationPolicy: "Background", cancellationToken: gc.Token);

        await gc.WaitUntilAsync(async () =>
            await ReplicaSetAsync(gc, chain.ReplicaSet.Metadata.Name) is null && (await PodsAsync(gc)).Count == 0);
    }

    [Fact]
    public async Task Delete_Foreground_OwnerStaysUntilBlockingDependentsAreGone()
    {
        await using var gc = await GcRun.StartAsync(fixture.Client);
        Chain chain = await CreateChainAsync(gc, "fg", pods: 2, holdFirstPod: true);
        string held = chain.Pods[0].Metadata.Name;

        await gc.Client.AppsV1.DeleteNamespacedDeploymentAsync("fg", gc.Namespace, propagationPolicy: "Foreground", cancellationToken: gc.Token);

        // The free pod goes; the held one is terminating and blocks the ReplicaSet, which blocks the Deployment.
        await gc.WaitUntilAsync(async () =>
        {
            IList<V1Pod> pods = await PodsAsync(gc);
            return pods.Count == 1 && pods[0].Metadata.Name == held && pods[0].Metadata.DeletionTimestamp is not null;
        });
        V1ReplicaSet? rs = await ReplicaSetAsync(gc, chain.ReplicaSet.Metadata.Name);
        Assert.NotNull(rs);
        Assert.NotNull(rs.Metadata.DeletionTimestamp);
        Assert.Contains(GarbageCollectorController.ForegroundFinalizer, rs.Metadata.Finalizers);
        V1Deployment deployment = await gc.Client.AppsV1.ReadNamespacedDeploymentAsync("fg", gc.Namespace, cancellationToken: gc.Token);
        Assert.NotNull(deployment.Metadata.DeletionTimestamp);
        Assert.Contains(GarbageCollectorController.ForegroundFinalizer, deployment.Metadata.Finalizers);

        await gc.Client.CoreV1.PatchNamespacedPodAsync(
            new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), held, gc.Namespace, cancellationToken: gc.Token);

        await gc.WaitUntilAsync(async () =>
            await DeploymentAsync(gc, "fg") is null && await ReplicaSetAsync(gc, chain.ReplicaSet.Metadata.Name) is null && (await PodsAsync(gc)).Count == 0);
    }

    [Fact]
    public async Task Delete_Orphan_DependentsStayWithoutTheOwnerReference()
    {
        await using var gc = await GcRun.StartAsync(fixture.Client);
        Chain chain = await CreateChainAsync(gc, "orphan", pods: 2);

        await gc.Client.AppsV1.DeleteNamespacedDeploymentAsync("orphan", gc.Namespace, propagationPolicy: "Orphan", cancellationToken: gc.Token);

        await gc.WaitUntilAsync(async () => await DeploymentAsync(gc, "orphan") is null);
        V1ReplicaSet? rs = await ReplicaSetAsync(gc, chain.ReplicaSet.Metadata.Name);
        Assert.NotNull(rs);
        Assert.Null(rs.Metadata.DeletionTimestamp);
        Assert.Empty(rs.Metadata.OwnerReferences ?? []);
        IList<V1Pod> pods = await PodsAsync(gc);
        Assert.Equal(2, pods.Count);
        Assert.All(pods, p => Assert.Equal(chain.ReplicaSet.Metadata.Uid, Assert.Single(p.Metadata.OwnerReferences).Uid));
    }

    [Fact]
    public async Task DanglingOwnerReference_AnotherOwnerLives_PatchedOutAndObjectKept()
    {
        await using var gc = await GcRun.StartAsync(fixture.Client);
        V1ConfigMap owner = await gc.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("owner"), gc.Namespace, cancellationToken: gc.Token);
        V1OwnerReference live = Reference("v1", "ConfigMap", owner.Metadata.Name, owner.Metadata.Uid);
        V1OwnerReference ghost = Reference("v1", "ConfigMap", "ghost", Guid.NewGuid().ToString());
        V1OwnerReference stale = Reference("v1", "ConfigMap", owner.Metadata.Name, Guid.NewGuid().ToString());

        await gc.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("shared", live, ghost, stale), gc.Namespace, cancellationToken: gc.Token);
        await gc.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("abandoned", ghost, stale), gc.Namespace, cancellationToken: gc.Token);

        // The ghost (no such object) and the stale reference (its name now belongs to another uid) both dangle.
        await gc.WaitUntilAsync(async () =>
        {
            V1ConfigMap? shared = await ConfigMapAsync(gc, "shared");
            return shared?.Metadata.OwnerReferences?.Count == 1 && await ConfigMapAsync(gc, "abandoned") is null;
        });
        V1ConfigMap kept = (await ConfigMapAsync(gc, "shared"))!;
        Assert.Equal(owner.Metadata.Uid, Assert.Single(kept.Metadata.OwnerReferences).Uid);
        Assert.NotNull(await ConfigMapAsync(gc, "owner"));
    }

    [Fact]
    public async Task Delete_Foreground_DependentWithoutBlockOwnerDeletionDoesNotHoldTheOwner()
    {
        await using var gc = await GcRun.StartAsync(fixture.Client);
        V1ConfigMap owner = await gc.Client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("parent"), gc.Namespace, cancellationToken: gc.Token);
        V1OwnerReference reference = Reference("v1", "ConfigMap", owner.Metadata.Name, owner.Metadata.Uid);
        reference.BlockOwnerDeletion = false;
        V1ConfigMap child = ConfigMap("child", reference);
        child.Metadata.Finalizers = [Hold];
        await gc.Client.CoreV1.CreateNamespacedConfigMapAsync(child, gc.Namespace, cancellationToken: gc.Token);

        await gc.Client.CoreV1.DeleteNamespacedConfigMapAsync("parent", gc.Namespace, propagationPolicy: "Foreground", cancellationToken: gc.Token);

        // The parent goes without waiting; then the child, whose owner is gone, is deleted (its finalizer keeps it terminating).
        await gc.WaitUntilAsync(async () =>
            await ConfigMapAsync(gc, "parent") is null && (await ConfigMapAsync(gc, "child"))?.Metadata.DeletionTimestamp is not null);

        await gc.Client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "child", gc.Namespace, cancellationToken: gc.Token);
        await gc.WaitUntilAsync(async () => await ConfigMapAsync(gc, "child") is null);
    }

    [Fact]
    public void GraphResources_EveryStoredKindOnceWithoutEvents()
    {
        IReadOnlyList<ResourceInfo> resources = GarbageCollectorController.GraphResources(ResourceCatalog.BuiltIn);

        Assert.Contains(resources, r => r.Plural == "pods");
        Assert.Contains(resources, r => r.Plural == "replicasets" && r.Group == "apps");
        Assert.Contains(resources, r => r.Plural == "namespaces");
        Assert.DoesNotContain(resources, r => r.Plural == "events");
        Assert.DoesNotContain(resources, r => r.Plural == "bindings");
        Assert.Single(resources, r => r.Plural == "horizontalpodautoscalers");
    }

    private sealed record Chain(V1Deployment Deployment, V1ReplicaSet ReplicaSet, IReadOnlyList<V1Pod> Pods);

    /// <summary>Deployment → ReplicaSet → pods, linked as the controllers link them (controller, blockOwnerDeletion).</summary>
    private static async Task<Chain> CreateChainAsync(GcRun gc, string name, int pods, bool holdFirstPod = false)
    {
        var labels = new Dictionary<string, string> { ["app"] = name };
        V1PodTemplateSpec template = new()
        {
            Metadata = new V1ObjectMeta { Labels = labels },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = "nginx:1" }] },
        };
        V1Deployment deployment = await gc.Client.AppsV1.CreateNamespacedDeploymentAsync(
            new V1Deployment
            {
                Metadata = new V1ObjectMeta { Name = name },
                Spec = new V1DeploymentSpec { Replicas = pods, Selector = new V1LabelSelector { MatchLabels = labels }, Template = template },
            },
            gc.Namespace,
            cancellationToken: gc.Token);
        V1ReplicaSet rs = await gc.Client.AppsV1.CreateNamespacedReplicaSetAsync(
            new V1ReplicaSet
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name + "-rs",
                    OwnerReferences = [Reference("apps/v1", "Deployment", name, deployment.Metadata.Uid)],
                },
                Spec = new V1ReplicaSetSpec { Replicas = pods, Selector = new V1LabelSelector { MatchLabels = labels }, Template = template },
            },
            gc.Namespace,
            cancellationToken: gc.Token);
        var created = new List<V1Pod>();
        for (int i = 0; i < pods; i++)
        {
            var pod = new V1Pod
            {
                Metadata = new V1ObjectMeta
                {
                    Name = $"{name}-pod-{i}",
                    Labels = labels,
                    OwnerReferences = [Reference("apps/v1", "ReplicaSet", rs.Metadata.Name, rs.Metadata.Uid)],
                    Finalizers = holdFirstPod && i == 0 ? [Hold] : null,
                },
                Spec = template.Spec,
            };
            created.Add(await gc.Client.CoreV1.CreateNamespacedPodAsync(pod, gc.Namespace, cancellationToken: gc.Token));
        }

        return new Chain(deployment, rs, created);
    }

    private static V1OwnerReference Reference(string apiVersion, string kind, string name, string uid) =>
        new() { ApiVersion = apiVersion, Kind = kind, Name = name, Uid = uid, Controller = true, BlockOwnerDeletion = true };

    private static V1ConfigMap ConfigMap(string name, params V1OwnerReference[] owners) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            OwnerReferences = owners.Length == 0 ? null : [.. owners.Select((o, i) => new V1OwnerReference
            {
                ApiVersion = o.ApiVersion, Kind = o.Kind, Name = o.Name, Uid = o.Uid, BlockOwnerDeletion = o.BlockOwnerDeletion, Controller = i == 0 ? o.Controller : null,
            })],
        },
        Data = new Dictionary<string, string> { ["k"] = "v" },
    };

    private static async Task<IList<V1Pod>> PodsAsync(GcRun gc) =>
        (await gc.Client.CoreV1.ListNamespacedPodAsync(gc.Namespace, cancellationToken: gc.Token)).Items;

    private static Task<V1ReplicaSet?> ReplicaSetAsync(GcRun gc, string name) =>
        OrNullAsync(() => gc.Client.AppsV1.ReadNamespacedReplicaSetAsync(name, gc.Namespace, cancellationToken: gc.Token));

    private static Task<V1Deployment?> DeploymentAsync(GcRun gc, string name) =>
        OrNullAsync(() => gc.Client.AppsV1.ReadNamespacedDeploymentAsync(name, gc.Namespace, cancellationToken: gc.Token));

    private static Task<V1ConfigMap?> ConfigMapAsync(GcRun gc, string name) =>
        OrNullAsync(() => gc.Client.CoreV1.ReadNamespacedConfigMapAsync(name, gc.Namespace, cancellationToken: gc.Token));

    private static async Task<T?> OrNullAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
