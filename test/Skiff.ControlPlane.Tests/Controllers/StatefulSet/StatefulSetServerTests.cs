using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Controllers.History;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Controllers.StatefulSet;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Tests.Controllers.StatefulSet;

/// <summary>
/// The StatefulSet controller runs directly against a real <c>skiff server --disable-controller-manager</c>. No kubelet
/// exists, so the test plays it: it marks pods Running and Ready through pods/status when it chooses to.
/// </summary>
public sealed class StatefulSetServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private const string Namespace = "default";

    [Fact]
    public async Task StatefulSet_OrderedReady_CreatesEachOrdinalOnlyAfterThePreviousIsReadyAndScalesDownFromTheTop()
    {
        await using Harness h = await Harness.StartAsync(fixture.Client);
        V1StatefulSet spec = NewSet("ordered", 3);
        spec.Spec.VolumeClaimTemplates = [new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = "www" },
            Spec = new V1PersistentVolumeClaimSpec { AccessModes = ["ReadWriteOnce"], Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } } },
        }];
        await h.Client.AppsV1.CreateNamespacedStatefulSetAsync(spec, Namespace, cancellationToken: h.Token);

        // ordered-0 exists and a sync has seen it (status counts it) without creating ordered-1: it is not Ready yet.
        await h.WaitUntilAsync(() => h.Set("ordered")?.Status?.Replicas == 1);
        Assert.Equal(["ordered-0"], await ListPodNamesAsync(h, "ordered"));
        V1Pod first = h.Pod("ordered-0")!;
        Assert.Equal(("ordered-0", "ordered"), (first.Spec.Hostname, first.Spec.Subdomain));
        Assert.Equal(("ordered-0", "0"), (first.Metadata.Labels[StatefulSetSync.PodNameLabel], first.Metadata.Labels[StatefulSetSync.PodIndexLabel]));
        Assert.Equal("www-ordered-0", first.Spec.Volumes.Single(v => v.Name == "www").PersistentVolumeClaim.ClaimName);
        V1PersistentVolumeClaim claim = await h.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("www-ordered-0", Namespace, cancellationToken: h.Token);
        Assert.Equal("ordered", claim.Metadata.Labels["app"]);

        await h.MarkReadyAsync("ordered-0");
        await h.WaitUntilAsync(() => h.Pod("ordered-1") is not null && h.Set("ordered")?.Status?.Replicas == 2);
        Assert.Equal(["ordered-0", "ordered-1"], await ListPodNamesAsync(h, "ordered"));
        await h.MarkReadyAsync("ordered-1");
        await h.WaitUntilAsync(() => h.Pod("ordered-2") is not null);
        await h.MarkReadyAsync("ordered-2");
        await h.WaitUntilAsync(() => h.Set("ordered")?.Status is { ReadyReplicas: 3 } s && s.CurrentRevision == s.UpdateRevision && s.ObservedGeneration == 1);

        Assert.Equal(["ordered-0", "ordered-1", "ordered-2"], h.Created.Where(n => n.StartsWith("ordered-", StringComparison.Ordinal)));
        V1StatefulSetStatus status = h.Set("ordered")!.Status;
        Assert.Equal((3, 3, 3, 3), (status.Replicas, status.CurrentReplicas, status.UpdatedReplicas, status.AvailableReplicas ?? 0));
        V1ControllerRevision revision = Assert.Single(h.Revisions("ordered"));
        Assert.Equal((status.UpdateRevision, 1L), (revision.Metadata.Name, revision.Revision ?? 0));
        Assert.Equal(status.UpdateRevision, first.Metadata.Labels[StatefulSetSync.RevisionLabel]);

        await h.PatchAsync("ordered", "{\"spec\":{\"replicas\":1}}");
        await h.WaitUntilAsync(() => h.Pod("ordered-1") is null && h.Set("ordered")?.Status?.Replicas == 1);

        Assert.Equal(["ordered-2", "ordered-1"], h.Deleted.Where(n => n.StartsWith("ordered-", StringComparison.Ordinal)));
        Assert.Equal(["ordered-0"], await ListPodNamesAsync(h, "ordered"));

        // The claims stay (Retain).
        await h.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("www-ordered-2", Namespace, cancellationToken: h.Token);
    }

    [Fact]
    public async Task StatefulSet_RollingUpdateWithPartition_UpdatesFromTheTopDownToThePartitionThenUndoReusesTheOldRevision()
    {
        await using Harness h = await Harness.StartAsync(fixture.Client);
        V1StatefulSet spec = NewSet("rolling", 3);
        spec.Spec.PodManagementPolicy = "Parallel";
        spec.Spec.UpdateStrategy = new V1StatefulSetUpdateStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateStatefulSetStrategy { Partition = 1 } };
        await h.Client.AppsV1.CreateNamespacedStatefulSetAsync(spec, Namespace, cancellationToken: h.Token);
        await h.WaitUntilAsync(async () => await h.MarkAllReadyAsync("rolling") && h.Set("rolling")?.Status?.ReadyReplicas == 3);
        string oldRevision = h.Set("rolling")!.Status.UpdateRevision;

        await h.PatchAsync("rolling", "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:2\"}]}}}}");

        // Pods are replaced one at a time from the highest ordinal; rolling-0 is below the partition and stays.
        await h.WaitUntilAsync(async () => await h.MarkAllReadyAsync("rolling") && h.Set("rolling")?.Status is { UpdatedReplicas: 2, ReadyReplicas: 3 } s && s.ObservedGeneration == 2);
        V1StatefulSetStatus status = h.Set("rolling")!.Status;
        Assert.Equal(oldRevision, status.CurrentRevision);
        Assert.NotEqual(oldRevision, status.UpdateRevision);
        Assert.Equal(["rolling-2", "rolling-1"], h.Deleted.Where(n => n.StartsWith("rolling-", StringComparison.Ordinal)));
        Assert.Equal("nginx:1", h.Pod("rolling-0")!.Spec.Containers[0].Image);
        Assert.Equal(("nginx:2", status.UpdateRevision), (h.Pod("rolling-1")!.Spec.Containers[0].Image, h.Pod("rolling-1")!.Metadata.Labels[StatefulSetSync.RevisionLabel]));
        Assert.Equal([1L, 2L], h.Revisions("rolling").Select(r => r.Revision ?? 0).Order());

        // A pod deleted below the partition comes back at the current (old) revision.
        await h.Client.CoreV1.DeleteNamespacedPodAsync("rolling-0", Namespace, cancellationToken: h.Token);
        await h.WaitUntilAsync(() => h.Deleted.Contains("rolling-0") && h.Pod("rolling-0") is not null);
        Assert.Equal(("nginx:1", oldRevision), (h.Pod("rolling-0")!.Spec.Containers[0].Image, h.Pod("rolling-0")!.Metadata.Labels[StatefulSetSync.RevisionLabel]));

        await h.PatchAsync("rolling", "{\"spec\":{\"updateStrategy\":{\"rollingUpdate\":{\"partition\":0}}}}");
        await h.WaitUntilAsync(async () => await h.MarkAllReadyAsync("rolling") && h.Set("rolling")?.Status is { UpdatedReplicas: 3, ReadyReplicas: 3 } s && s.CurrentRevision == s.UpdateRevision && s.ObservedGeneration == 3);

        // kubectl rollout undo: the previous revision's data, sent back as a strategic merge patch.
        V1ControllerRevision previous = h.Revisions("rolling").Single(r => r.Metadata.Name == oldRevision);
        await h.Client.AppsV1.PatchNamespacedStatefulSetAsync(new V1Patch(ControllerHistory.DataOf(previous), V1Patch.PatchType.StrategicMergePatch), "rolling", Namespace, cancellationToken: h.Token);
        await h.WaitUntilAsync(async () => await h.MarkAllReadyAsync("rolling") && h.Set("rolling")?.Status is { UpdatedReplicas: 3, ReadyReplicas: 3 } s && s.UpdateRevision == oldRevision && s.CurrentRevision == oldRevision);

        Assert.Equal(2, h.Revisions("rolling").Count);
        Assert.Equal(3, h.Revisions("rolling").Single(r => r.Metadata.Name == oldRevision).Revision);
        Assert.All(await ListPodNamesAsync(h, "rolling"), name => Assert.Equal("nginx:1", h.Pod(name)!.Spec.Containers[0].Image));
    }

    private static async Task<List<string>> ListPodNamesAsync(Harness h, string app)
    {
        V1PodList pods = await h.Client.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: "app=" + app, cancellationToken: h.Token);
        return [.. pods.Items.Where(p => p.Metadata.DeletionTimestamp is null).Select(p => p.Metadata.Name).Order(StringComparer.Ordinal)];
    }

    private static V1StatefulSet NewSet(string name, int replicas) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
        Spec = new V1StatefulSetSpec
        {
            Replicas = replicas,
            ServiceName = name,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = "nginx:1" }] },
            },
        },
    };

    /// <summary>The controller, its informers, and what the test saw happen, in order.</summary>
    private sealed class Harness : IAsyncDisposable
    {
        private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));
        private readonly CancellationTokenSource _stop;
        private readonly SemaphoreSlim _changed = new(0);
        private readonly ConcurrentQueue<string> _created = new();
        private readonly ConcurrentQueue<string> _deleted = new();
        private SharedInformerFactory _informers = null!;
        private StatefulSetController _controller = null!;
        private Task _running = Task.CompletedTask;

        private Harness(Kubernetes client)
        {
            Client = client;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(_timeout.Token);
        }

        public Kubernetes Client { get; }

        public CancellationToken Token => _timeout.Token;

        public List<string> Created => [.. _created];

        public List<string> Deleted => [.. _deleted];

        public static async Task<Harness> StartAsync(Kubernetes client)
        {
            var h = new Harness(client);
            h._informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
            h._controller = new StatefulSetController(client, TimeProvider.System, NullLogger<StatefulSetController>.Instance, workers: 2);
            h._controller.Register(h._informers);
            h._informers.Pods().AddEventHandler(new InformerHandler<V1Pod>(
                p =>
                {
                    h._created.Enqueue(p.Metadata.Name);
                    h._changed.Release();
                },
                (_, _) => h._changed.Release(),
                p =>
                {
                    h._deleted.Enqueue(p.Metadata.Name);
                    h._changed.Release();
                }));
            h._informers.StatefulSets().AddEventHandler(new InformerHandler<V1StatefulSet>(_ => h._changed.Release(), (_, _) => h._changed.Release(), _ => h._changed.Release()));
            h._informers.ControllerRevisions().AddEventHandler(new InformerHandler<V1ControllerRevision>(_ => h._changed.Release(), (_, _) => h._changed.Release(), _ => h._changed.Release()));
            h._informers.Start(h._stop.Token);
            h._running = h._controller.RunAsync(h._stop.Token);
            await h._informers.WaitForCacheSyncAsync(h.Token);
            return h;
        }

        public V1StatefulSet? Set(string name) => _informers.StatefulSets().Cache.Get(Namespace, name);

        public V1Pod? Pod(string name) => _informers.Pods().Cache.Get(Namespace, name) is { Metadata.DeletionTimestamp: null } pod ? pod : null;

        public List<V1ControllerRevision> Revisions(string set) =>
            Set(set) is { } s ? [.. _informers.ControllerRevisions().Cache.ByIndex(CacheIndexers.OwnerUid, s.Metadata.Uid)] : [];

        // A strategic merge patch, as kubectl sends: the containers list merges by name.
        public Task<V1StatefulSet> PatchAsync(string name, string patch) =>
            Client.AppsV1.PatchNamespacedStatefulSetAsync(new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), name, Namespace, cancellationToken: Token);

        public Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

        // Re-checks on every informer event instead of sleeping.
        public async Task WaitUntilAsync(Func<Task<bool>> condition)
        {
            while (!await condition())
            {
                await _changed.WaitAsync(Token);
            }
        }

        // The test as kubelet: the pod becomes Running and Ready.
        public async Task MarkReadyAsync(string name)
        {
            V1Pod ready = ReplicaSetSync.Clone(Pod(name) ?? throw new InvalidOperationException(name + " is not in the cache."));
            ready.Status ??= new V1PodStatus();
            ready.Status.Phase = "Running";
            ready.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = DateTime.UtcNow.AddSeconds(-1) }];
            try
            {
                await Client.CoreV1.ReplaceNamespacedPodStatusAsync(ready, name, Namespace, cancellationToken: Token);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                // Changed or deleted meanwhile: the next event brings it back.
            }
        }

        /// <summary>Marks every not-ready pod of the app ready; true once all already were.</summary>
        public async Task<bool> MarkAllReadyAsync(string app)
        {
            bool allReady = true;
            foreach (V1Pod pod in _informers.Pods().Cache.ByIndex(CacheIndexers.Namespace, Namespace)
                .Where(p => p.Metadata.DeletionTimestamp is null && p.Metadata.Labels?.TryGetValue("app", out string? a) == true && a == app))
            {
                if (!StatefulSetSync.IsRunningAndReady(pod))
                {
                    allReady = false;
                    await MarkReadyAsync(pod.Metadata.Name);
                }
            }

            return allReady;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _running;
            await _informers.DisposeAsync();
            _controller.Dispose();
            _stop.Dispose();
            _timeout.Dispose();
            _changed.Dispose();
        }
    }
}
