using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Controllers.Deployment;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Informers;
using static Skiff.ControlPlane.Tests.Server.InformerSignal;

namespace Skiff.ControlPlane.Tests.Controllers.Deployment;

/// <summary>
/// The ReplicaSet and Deployment controllers run directly (no ControllerManager) against a real <c>skiff server
/// --disable-agent</c>. No kubelet exists, so the test plays it: it marks pods Running and Ready through pods/status.
/// </summary>
public sealed class DeploymentServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private const string Namespace = "default";

    [Fact]
    public async Task Deployment_CreatedThenImageChanged_RollsOutThroughReplicaSetsAndStatusConverges()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        await using var informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        using var replicaSetController = new ReplicaSetController(client, TimeProvider.System, NullLogger<ReplicaSetController>.Instance, workers: 2);
        using var deploymentController = new DeploymentController(client, TimeProvider.System, NullLogger<DeploymentController>.Instance, workers: 2);
        replicaSetController.Register(informers);
        deploymentController.Register(informers);
        var changed = new SemaphoreSlim(0);
        informers.Pods().AddEventHandler(Signal<V1Pod>(changed));
        informers.ReplicaSets().AddEventHandler(Signal<V1ReplicaSet>(changed));
        informers.Deployments().AddEventHandler(Signal<V1Deployment>(changed));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        informers.Start(stop.Token);
        Task running = Task.WhenAll(replicaSetController.RunAsync(stop.Token), deploymentController.RunAsync(stop.Token));

        V1Deployment created = await client.AppsV1.CreateNamespacedDeploymentAsync(NewDeployment("roll", "nginx:1"), Namespace, cancellationToken: token);

        // Three pods, each controlled by the Deployment's one ReplicaSet, which the Deployment controls.
        await WaitUntilAsync(changed, () => OwnedPods(informers, created).Count == 3, token);
        V1ReplicaSet first = Assert.Single(OwnedReplicaSets(informers, created));
        string hash = first.Spec.Template.Metadata.Labels[PodTemplateHash.Label];
        Assert.Equal("roll-" + hash, first.Metadata.Name);
        Assert.Equal(hash, first.Spec.Selector.MatchLabels[PodTemplateHash.Label]);
        Assert.Equal("1", first.Metadata.Annotations[DeploymentSync.RevisionAnnotation]);
        Assert.All(informers.Pods().Cache.ByIndex(CacheIndexers.OwnerUid, first.Metadata.Uid), pod =>
        {
            V1OwnerReference owner = Assert.Single(pod.Metadata.OwnerReferences);
            Assert.Equal(("ReplicaSet", first.Metadata.Name, true, true), (owner.Kind, owner.Name, owner.Controller, owner.BlockOwnerDeletion));
            Assert.StartsWith(first.Metadata.Name + "-", pod.Metadata.Name, StringComparison.Ordinal);
            Assert.Equal(hash, pod.Metadata.Labels[PodTemplateHash.Label]);
        });

        await WaitUntilAsync(changed, async () => await MarkPodsReadyAsync(client, informers, created, token) && IsRolledOut(informers, "roll", created.Metadata.Generation ?? 1), token);

        V1Deployment current = informers.Deployments().Cache.Get(Namespace, "roll")!;
        V1Deployment changedImage = ReplicaSetSync.Clone(current);
        changedImage.Spec.Template.Spec.Containers[0].Image = "nginx:2";
        V1Deployment updated = await client.AppsV1.ReplaceNamespacedDeploymentAsync(changedImage, "roll", Namespace, cancellationToken: token);
        Assert.True(updated.Metadata.Generation > created.Metadata.Generation);

        await WaitUntilAsync(changed, async () => await MarkPodsReadyAsync(client, informers, created, token) && IsRolledOut(informers, "roll", updated.Metadata.Generation ?? 2), token);

        List<V1ReplicaSet> sets = OwnedReplicaSets(informers, created);
        V1ReplicaSet second = Assert.Single(sets, rs => rs.Metadata.Name != first.Metadata.Name);
        Assert.Equal("2", second.Metadata.Annotations[DeploymentSync.RevisionAnnotation]);
        Assert.Equal(0, sets.Single(rs => rs.Metadata.Name == first.Metadata.Name).Spec.Replicas);
        V1Deployment done = informers.Deployments().Cache.Get(Namespace, "roll")!;
        Assert.Equal((3, 3, 3, 0), (done.Status.Replicas, done.Status.UpdatedReplicas, done.Status.AvailableReplicas, done.Status.UnavailableReplicas ?? 0));
        Assert.True(done.Status.ObservedGeneration >= updated.Metadata.Generation);
        Assert.Equal("NewReplicaSetAvailable", done.Status.Conditions.Single(c => c.Type == "Progressing").Reason);
        Assert.Equal("2", done.Metadata.Annotations[DeploymentSync.RevisionAnnotation]);
        Assert.Equal("True", done.Status.Conditions.Single(c => c.Type == "Available").Status);

        // rollout undo: the old template comes back (without the hash label, as kubectl sends it), the old ReplicaSet is
        // reused, not duplicated, and becomes revision 3.
        V1Deployment undo = ReplicaSetSync.Clone(done);
        undo.Spec.Template = ReplicaSetSync.Clone(first.Spec.Template);
        undo.Spec.Template.Metadata.Labels.Remove(PodTemplateHash.Label);
        V1Deployment undone = await client.AppsV1.ReplaceNamespacedDeploymentAsync(undo, "roll", Namespace, cancellationToken: token);

        await WaitUntilAsync(changed, async () => await MarkPodsReadyAsync(client, informers, created, token) && IsRolledOut(informers, "roll", undone.Metadata.Generation ?? 3), token);

        sets = OwnedReplicaSets(informers, created);
        Assert.Equal(2, sets.Count);
        V1ReplicaSet reused = sets.Single(rs => rs.Metadata.Name == first.Metadata.Name);
        Assert.Equal(("3", 3), (reused.Metadata.Annotations[DeploymentSync.RevisionAnnotation], reused.Spec.Replicas));
        Assert.Equal(0, sets.Single(rs => rs.Metadata.Name == second.Metadata.Name).Spec.Replicas);

        // Scale down: the ReplicaSet deletes surplus pods.
        V1Deployment scale = ReplicaSetSync.Clone(informers.Deployments().Cache.Get(Namespace, "roll")!);
        scale.Spec.Replicas = 1;
        V1Deployment scaled = await client.AppsV1.ReplaceNamespacedDeploymentAsync(scale, "roll", Namespace, cancellationToken: token);
        await WaitUntilAsync(changed, () => IsRolledOut(informers, "roll", scaled.Metadata.Generation ?? 4) && OwnedPods(informers, created).Count == 1, token);

        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task Deployment_Recreate_NewPodsOnlyAfterOldPodsAreGone()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        await using var informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        using var replicaSetController = new ReplicaSetController(client, TimeProvider.System, NullLogger<ReplicaSetController>.Instance, workers: 2);
        using var deploymentController = new DeploymentController(client, TimeProvider.System, NullLogger<DeploymentController>.Instance, workers: 2);
        replicaSetController.Register(informers);
        deploymentController.Register(informers);
        var changed = new SemaphoreSlim(0);
        var podsSeenWithMixedImages = 0;
        informers.Pods().AddEventHandler(Signal<V1Pod>(changed));
        informers.ReplicaSets().AddEventHandler(Signal<V1ReplicaSet>(changed));
        informers.Deployments().AddEventHandler(Signal<V1Deployment>(changed));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        informers.Start(stop.Token);
        Task running = Task.WhenAll(replicaSetController.RunAsync(stop.Token), deploymentController.RunAsync(stop.Token));
        V1Deployment spec = NewDeployment("recreate", "nginx:1");
        spec.Spec.Strategy = new V1DeploymentStrategy { Type = "Recreate" };
        V1Deployment created = await client.AppsV1.CreateNamespacedDeploymentAsync(spec, Namespace, cancellationToken: token);
        await WaitUntilAsync(changed, async () => await MarkPodsReadyAsync(client, informers, created, token) && IsRolledOut(informers, "recreate", 1), token);

        V1Deployment change = ReplicaSetSync.Clone(informers.Deployments().Cache.Get(Namespace, "recreate")!);
        change.Spec.Template.Spec.Containers[0].Image = "nginx:2";
        V1Deployment updated = await client.AppsV1.ReplaceNamespacedDeploymentAsync(change, "recreate", Namespace, cancellationToken: token);
        await WaitUntilAsync(
            changed,
            async () =>
            {
                if (OwnedPods(informers, created).Select(p => p.Spec.Containers[0].Image).Distinct().Count() > 1)
                {
                    podsSeenWithMixedImages++;
                }

                return await MarkPodsReadyAsync(client, informers, created, token) && IsRolledOut(informers, "recreate", updated.Metadata.Generation ?? 2);
            },
            token);

        Assert.Equal(0, podsSeenWithMixedImages);
        Assert.All(OwnedPods(informers, created), p => Assert.Equal("nginx:2", p.Spec.Containers[0].Image));
        Assert.Equal(2, OwnedReplicaSets(informers, created).Count);

        await stop.CancelAsync();
        await running;
    }

    // What kubectl rollout status checks (KUBECTL.md §3).
    // The cache may still hold the previous generation's finished status, so the generation written must be seen first.
    private static bool IsRolledOut(SharedInformerFactory informers, string name, long generation) =>
        informers.Deployments().Cache.Get(Namespace, name) is { } d
        && d.Metadata.Generation >= generation
        && d.Status?.ObservedGeneration >= d.Metadata.Generation
        && d.Status.UpdatedReplicas == d.Spec.Replicas
        && d.Status.Replicas == d.Status.UpdatedReplicas
        && d.Status.AvailableReplicas >= d.Status.UpdatedReplicas;

    // The test as kubelet: every not-yet-ready pod of the Deployment becomes Running and Ready. True once all are.
    private static async Task<bool> MarkPodsReadyAsync(Kubernetes client, SharedInformerFactory informers, V1Deployment deployment, CancellationToken token)
    {
        bool allReady = true;
        foreach (V1Pod pod in OwnedPods(informers, deployment).Where(p => p.Metadata.DeletionTimestamp is null))
        {
            if (pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
            {
                continue;
            }

            allReady = false;
            V1Pod ready = ReplicaSetSync.Clone(pod);
            DateTime now = DateTime.UtcNow.AddTicks(-(DateTime.UtcNow.Ticks % TimeSpan.TicksPerSecond));
            ready.Status ??= new V1PodStatus();
            ready.Status.Phase = "Running";
            ready.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = now }];
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

    private static List<V1ReplicaSet> OwnedReplicaSets(SharedInformerFactory informers, V1Deployment deployment) =>
        [.. informers.ReplicaSets().Cache.ByIndex(CacheIndexers.OwnerUid, deployment.Metadata.Uid)];

    private static List<V1Pod> OwnedPods(SharedInformerFactory informers, V1Deployment deployment) =>
        [.. OwnedReplicaSets(informers, deployment).SelectMany(rs => informers.Pods().Cache.ByIndex(CacheIndexers.OwnerUid, rs.Metadata.Uid))
            .Where(p => p.Metadata.DeletionTimestamp is null)];

    private static V1Deployment NewDeployment(string name, string image) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace },
        Spec = new V1DeploymentSpec
        {
            Replicas = 3,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = image }] },
            },
        },
    };
}
