using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Controllers.DaemonSet;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Informers;
using static Skiff.ControlPlane.Tests.Server.InformerSignal;

namespace Skiff.ControlPlane.Tests.Controllers.DaemonSet;

/// <summary>
/// The DaemonSet controller against a real <c>skiff server --disable-controller-manager</c>, with Node objects the test
/// creates. No scheduler or kubelet runs: pods stay unbound (they name their node through affinity) and the test marks
/// them Running and Ready itself.
/// </summary>
public sealed class DaemonSetServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private const string Namespace = "default";

    [Fact]
    public async Task DaemonSet_NodesComeAndTemplateChanges_OnePodPerEligibleNodeAndRollsThemOneAtATime()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        await using var informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        using var controller = new DaemonSetController(client, TimeProvider.System, NullLogger<DaemonSetController>.Instance, workers: 2);
        controller.Register(informers);
        var changed = new SemaphoreSlim(0);
        var maxUnavailableSeen = 0;
        informers.Pods().AddEventHandler(Signal<V1Pod>(changed));
        informers.DaemonSets().AddEventHandler(Signal<V1DaemonSet>(changed));
        informers.Nodes().AddEventHandler(Signal<V1Node>(changed));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        informers.Start(stop.Token);
        Task running = controller.RunAsync(stop.Token);

        await CreateNodeAsync(client, "dsn-a", pool: "ds", token);
        await CreateNodeAsync(client, "dsn-b", pool: "ds", token);
        await CreateNodeAsync(client, "dsn-tainted", pool: "ds", token, new V1Taint { Key = "dedicated", Value = "db", Effect = "NoSchedule" });
        await CreateNodeAsync(client, "dsn-other", pool: "other", token);
        V1DaemonSet created = await client.AppsV1.CreateNamespacedDaemonSetAsync(NewDaemonSet("agent"), Namespace, cancellationToken: token);

        await WaitUntilAsync(changed, () => informers.DaemonSets().Cache.Get(Namespace, "agent")?.Status is { DesiredNumberScheduled: 2, CurrentNumberScheduled: 2 }, token);
        Assert.Equal(["dsn-a", "dsn-b"], PodNodes(informers, created));
        V1Pod pod = OwnedPods(informers, created)[0];
        Assert.Null(pod.Spec.NodeName);
        Assert.Contains(pod.Spec.Tolerations, t => t.Key == "node.kubernetes.io/not-ready" && t.Effect == "NoExecute");

        // A new eligible node gets its pod.
        await CreateNodeAsync(client, "dsn-c", pool: "ds", token);
        await WaitUntilAsync(changed, () => PodNodes(informers, created).SequenceEqual(["dsn-a", "dsn-b", "dsn-c"]), token);
        await WaitUntilAsync(changed, async () => await MarkPodsReadyAsync(client, informers, created, token) && IsRolledOut(informers, "agent", 1, 3), token);

        // A template change replaces the pods one node at a time (maxUnavailable 1).
        V1DaemonSet change = ReplicaSetSync.Clone(informers.DaemonSets().Cache.Get(Namespace, "agent")!);
        change.Spec.Template.Spec.Containers[0].Image = "agent:2";
        await client.AppsV1.ReplaceNamespacedDaemonSetAsync(change, "agent", Namespace, cancellationToken: token);
        await WaitUntilAsync(
            changed,
            async () =>
            {
                if (informers.DaemonSets().Cache.Get(Namespace, "agent")?.Status is { ObservedGeneration: 2 } s)
                {
                    maxUnavailableSeen = Math.Max(maxUnavailableSeen, s.NumberUnavailable ?? 0);
                }

                return await MarkPodsReadyAsync(client, informers, created, token) && IsRolledOut(informers, "agent", 2, 3);
            },
            token);

        Assert.True(maxUnavailableSeen <= 1, $"saw {maxUnavailableSeen} nodes without an available pod");
        Assert.All(OwnedPods(informers, created), p => Assert.Equal("agent:2", p.Spec.Containers[0].Image));
        Assert.Equal(["dsn-a", "dsn-b", "dsn-c"], PodNodes(informers, created));
        List<V1ControllerRevision> revisions = [.. informers.ControllerRevisions().Cache.ByIndex(CacheIndexers.OwnerUid, created.Metadata.Uid)];
        Assert.Equal([1L, 2L], revisions.Select(r => r.Revision ?? 0).Order());
        string hash = revisions.Single(r => r.Revision == 2).Metadata.Labels[DaemonSetSync.RevisionHashLabel];
        Assert.All(OwnedPods(informers, created), p => Assert.Equal(hash, p.Metadata.Labels[DaemonSetSync.RevisionHashLabel]));

        // A pod relabelled out of the selector is released (it lives on as an orphan) and its node gets a new pod.
        V1Pod onA = OwnedPods(informers, created).Single(p => DaemonSetSync.TargetNode(p) == "dsn-a");
        await client.CoreV1.PatchNamespacedPodAsync(new V1Patch("{\"metadata\":{\"labels\":{\"app\":\"debug\"}}}", V1Patch.PatchType.MergePatch), onA.Metadata.Name, Namespace, cancellationToken: token);
        await WaitUntilAsync(changed, () => informers.Pods().Cache.Get(Namespace, onA.Metadata.Name) is { } p && PodControl.ControllerOf(p.Metadata) is null && PodNodes(informers, created).SequenceEqual(["dsn-a", "dsn-b", "dsn-c"]), token);
        await client.CoreV1.DeleteNamespacedPodAsync(onA.Metadata.Name, Namespace, cancellationToken: token);

        // A node leaving the pool loses its pod.
        V1Node leaving = ReplicaSetSync.Clone(informers.Nodes().Cache.Get(null, "dsn-c")!);
        leaving.Metadata.Labels["pool"] = "other";
        await client.CoreV1.ReplaceNodeAsync(leaving, "dsn-c", cancellationToken: token);
        await WaitUntilAsync(changed, () => PodNodes(informers, created).SequenceEqual(["dsn-a", "dsn-b"]) && informers.DaemonSets().Cache.Get(Namespace, "agent")?.Status?.DesiredNumberScheduled == 2, token);

        await stop.CancelAsync();
        await running;
    }

    private static bool IsRolledOut(SharedInformerFactory informers, string name, long generation, int nodes) =>
        informers.DaemonSets().Cache.Get(Namespace, name) is { } ds
        && ds.Status?.ObservedGeneration >= generation
        && ds.Status.DesiredNumberScheduled == nodes
        && ds.Status.UpdatedNumberScheduled == nodes
        && ds.Status.NumberAvailable == nodes
        && ds.Status.NumberMisscheduled == 0;

    private static List<string> PodNodes(SharedInformerFactory informers, V1DaemonSet ds) =>
        [.. OwnedPods(informers, ds).Select(p => DaemonSetSync.TargetNode(p) ?? "?").Order(StringComparer.Ordinal)];

    private static List<V1Pod> OwnedPods(SharedInformerFactory informers, V1DaemonSet ds) =>
        [.. informers.Pods().Cache.ByIndex(CacheIndexers.OwnerUid, ds.Metadata.Uid).Where(p => p.Metadata.DeletionTimestamp is null)];

    private static async Task CreateNodeAsync(Kubernetes client, string name, string pool, CancellationToken token, params V1Taint[] taints)
    {
        var node = new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["pool"] = pool } },
            Spec = new V1NodeSpec { Taints = taints.Length == 0 ? null : [.. taints] },
        };
        await client.CoreV1.CreateNodeAsync(node, cancellationToken: token);
    }

    // The test as kubelet: every not-yet-ready pod becomes Running and Ready. True once all are.
    private static async Task<bool> MarkPodsReadyAsync(Kubernetes client, SharedInformerFactory informers, V1DaemonSet ds, CancellationToken token)
    {
        bool allReady = true;
        foreach (V1Pod pod in OwnedPods(informers, ds).Where(p => !PodControl.IsReady(p)))
        {
            allReady = false;
            V1Pod ready = ReplicaSetSync.Clone(pod);
            ready.Status ??= new V1PodStatus();
            ready.Status.Phase = "Running";
            ready.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = DateTime.UtcNow.AddSeconds(-1) }];
            try
            {
                await client.CoreV1.ReplaceNamespacedPodStatusAsync(ready, pod.Metadata.Name, Namespace, cancellationToken: token);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                // Changed or deleted meanwhile: the next event brings it back here.
            }
        }

        return allReady;
    }

    private static V1DaemonSet NewDaemonSet(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
        Spec = new V1DaemonSetSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    NodeSelector = new Dictionary<string, string> { ["pool"] = "ds" },
                    Containers = [new V1Container { Name = "agent", Image = "agent:1" }],
                },
            },
        },
    };
}
