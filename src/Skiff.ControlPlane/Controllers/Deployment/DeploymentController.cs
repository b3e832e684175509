using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Controllers.Deployment;

/// <summary>
/// Rolls Deployments out through ReplicaSets (upstream pkg/controller/deployment): one ReplicaSet per pod template, named and
/// selected by its pod-template-hash; RollingUpdate bounded by maxSurge and maxUnavailable, or Recreate; revision annotations
/// that <c>kubectl rollout history/undo</c> read; cleanup beyond revisionHistoryLimit; and the status <c>rollout status</c> waits on.
/// Each sync takes one step and returns; the ReplicaSet and pod events it causes bring the next sync.
/// </summary>
public sealed partial class DeploymentController : Controller
{
    private readonly IKubernetes _client;
    private readonly IEventRecorder _events;
    private readonly ILogger<DeploymentController> _logger;
    private SharedInformer<V1Deployment>? _deployments;
    private SharedInformer<V1ReplicaSet>? _replicaSets;

    public DeploymentController([FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client, TimeProvider timeProvider, ILogger<DeploymentController> logger, int workers = 5, IEventRecorder? events = null)
        : base("deployment", workers, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("deployment-controller");
        _logger = logger;
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _deployments = informers.Deployments();
        _replicaSets = informers.ReplicaSets();
        _deployments.AddEventHandler(EnqueueHandler<V1Deployment>());

        // Every ReplicaSet change is enqueued for its Deployment: its status counts are the Deployment's progress.
        _replicaSets.AddEventHandler(new InformerHandler<V1ReplicaSet>(
            onAdd: EnqueueOwner,
            onUpdate: (old, rs) =>
            {
                EnqueueOwner(old);
                EnqueueOwner(rs);
            },
            onDelete: EnqueueOwner));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_deployments is null || _replicaSets is null || !_deployments.Cache.TryGet(key, out V1Deployment? deployment)
            || deployment.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        LabelSelector selector = LabelSelector.FromModel(deployment.Spec?.Selector);
        if (selector.IsEmpty)
        {
            // An empty selector would select every pod in the namespace; upstream refuses to act on it too.
            return;
        }

        List<V1ReplicaSet> all = await ClaimReplicaSetsAsync(_replicaSets, deployment, selector, cancellationToken).ConfigureAwait(false);
        V1ReplicaSet? newRs = DeploymentSync.FindNewReplicaSet(deployment, all);
        List<V1ReplicaSet> old = [.. all.Where(rs => !ReferenceEquals(rs, newRs))];

        if (deployment.Spec?.Paused != true)
        {
            bool acted = await RolloutAsync(deployment, all, old, newRs, cancellationToken).ConfigureAwait(false);
            if (acted)
            {
                // The informer brings the changed ReplicaSets back; status is written from what it then shows.
                return;
            }

            // Upstream mirrors the new ReplicaSet's revision onto the Deployment; kubectl rollout undo's JSON patch replaces
            // /metadata/annotations and fails on a Deployment without any.
            if (newRs is not null && DeploymentRevision(deployment) != DeploymentSync.Revision(newRs).ToString(CultureInfo.InvariantCulture))
            {
                await PatchDeploymentRevisionAsync(deployment, DeploymentSync.Revision(newRs), cancellationToken).ConfigureAwait(false);
                return;
            }

            foreach (V1ReplicaSet rs in DeploymentSync.ReplicaSetsToCleanUp(deployment, old))
            {
                await DeleteReplicaSetAsync(rs, cancellationToken).ConfigureAwait(false);
            }
        }

        await SyncStatusAsync(key, deployment, all, newRs, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One rollout step; true when it wrote something, so the caller waits for the informer to show the result.</summary>
    private async Task<bool> RolloutAsync(V1Deployment deployment, List<V1ReplicaSet> all, List<V1ReplicaSet> old, V1ReplicaSet? newRs, CancellationToken cancellationToken)
    {
        long maxOldRevision = DeploymentSync.MaxRevision(old);
        if (newRs is null)
        {
            bool oldPodsRunning = old.Any(rs => (rs.Spec?.Replicas ?? 0) > 0 || (rs.Status?.Replicas ?? 0) > 0);
            int initial = DeploymentSync.IsRecreate(deployment) && oldPodsRunning ? 0 : DeploymentSync.NewReplicaSetReplicas(deployment, all, null);
            V1ReplicaSet created = DeploymentSync.NewReplicaSet(deployment, maxOldRevision + 1, initial);
            LogCreatingReplicaSet(_logger, created.Metadata.NamespaceProperty, created.Metadata.Name, maxOldRevision + 1);
            await _client.AppsV1.CreateNamespacedReplicaSetAsync(created, created.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (initial > 0)
            {
                RecordScaling(deployment, created.Metadata.Name, 0, initial);
            }

            return true;
        }

        // A rollback to an old template reuses its ReplicaSet, which becomes the newest revision again (rollout history shows 2,3).
        if (DeploymentSync.Revision(newRs) <= maxOldRevision)
        {
            await PatchReplicaSetAsync(deployment, newRs, replicas: null, revision: maxOldRevision + 1, cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (DeploymentSync.IsRecreate(deployment))
        {
            return await RecreateAsync(deployment, old, newRs, cancellationToken).ConfigureAwait(false);
        }

        int newReplicas = DeploymentSync.NewReplicaSetReplicas(deployment, all, newRs);
        if (newReplicas != (newRs.Spec?.Replicas ?? 0))
        {
            await PatchReplicaSetAsync(deployment, newRs, newReplicas, revision: null, cancellationToken).ConfigureAwait(false);
            return true;
        }

        bool scaled = false;
        Dictionary<string, int> targets = DeploymentSync.ScaleDownOldReplicaSets(deployment, old, newRs);
        foreach (V1ReplicaSet rs in old)
        {
            if (targets[rs.Metadata.Name] != (rs.Spec?.Replicas ?? 0))
            {
                await PatchReplicaSetAsync(deployment, rs, targets[rs.Metadata.Name], revision: null, cancellationToken).ConfigureAwait(false);
                scaled = true;
            }
        }

        return scaled;
    }

    // Recreate: every old pod is gone before any new pod exists.
    private async Task<bool> RecreateAsync(V1Deployment deployment, List<V1ReplicaSet> old, V1ReplicaSet newRs, CancellationToken cancellationToken)
    {
        bool scaled = false;
        foreach (V1ReplicaSet rs in old.Where(rs => (rs.Spec?.Replicas ?? 0) > 0))
        {
            await PatchReplicaSetAsync(deployment, rs, 0, revision: null, cancellationToken).ConfigureAwait(false);
            scaled = true;
        }

        if (scaled || old.Any(rs => (rs.Status?.Replicas ?? 0) > 0))
        {
            return scaled;
        }

        int replicas = deployment.Spec?.Replicas ?? 1;
        if ((newRs.Spec?.Replicas ?? 0) != replicas)
        {
            await PatchReplicaSetAsync(deployment, newRs, replicas, revision: null, cancellationToken).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    private async Task SyncStatusAsync(string key, V1Deployment deployment, List<V1ReplicaSet> all, V1ReplicaSet? newRs, CancellationToken cancellationToken)
    {
        DateTimeOffset now = TimeProvider.GetUtcNow();
        V1DeploymentStatus status = DeploymentStatusCalculator.Compute(deployment, all, newRs, now);
        if (!DeploymentStatusCalculator.Equal(deployment.Status, status))
        {
            V1Deployment update = ReplicaSetSync.Clone(deployment);
            update.Status = status;
            await _client.AppsV1.ReplaceNamespacedDeploymentStatusAsync(update, deployment.Metadata.Name, deployment.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        // Nothing else wakes the controller when a rollout merely stalls, so come back when the progress deadline would pass.
        if (!DeploymentStatusCalculator.IsComplete(deployment, status) && deployment.Spec?.Paused != true && deployment.Spec?.ProgressDeadlineSeconds is int deadline)
        {
            Queue.AddAfter(key, TimeSpan.FromSeconds(deadline + 1));
        }
    }

    private async Task<List<V1ReplicaSet>> ClaimReplicaSetsAsync(SharedInformer<V1ReplicaSet> replicaSets, V1Deployment deployment, LabelSelector selector, CancellationToken cancellationToken)
    {
        var claimed = new List<V1ReplicaSet>();
        foreach (V1ReplicaSet rs in replicaSets.Cache.ByIndex(CacheIndexers.Namespace, deployment.Metadata.NamespaceProperty))
        {
            V1OwnerReference? owner = PodControl.ControllerOf(rs.Metadata);
            if (owner is not null)
            {
                if (owner.Uid == deployment.Metadata.Uid)
                {
                    claimed.Add(rs);
                }
            }
            else if (selector.Matches(rs.Metadata?.Labels as IReadOnlyDictionary<string, string>) && rs.Metadata?.DeletionTimestamp is null)
            {
                try
                {
                    claimed.Add(await _client.AppsV1.PatchNamespacedReplicaSetAsync(
                        ControllerRefManager.AdoptionPatch(rs.Metadata ?? new V1ObjectMeta(), PodControl.ControllerReference("apps/v1", "Deployment", deployment.Metadata)),
                        rs.Metadata?.Name,
                        rs.Metadata?.NamespaceProperty,
                        cancellationToken: cancellationToken).ConfigureAwait(false));
                }
                catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
                {
                    // Gone or changed since the cache saw it: the next event decides again.
                }
            }
        }

        return claimed;
    }

    private async Task PatchReplicaSetAsync(V1Deployment deployment, V1ReplicaSet rs, int? replicas, long? revision, CancellationToken cancellationToken)
    {
        var patch = new JsonObject();
        if (replicas is int count)
        {
            LogScaling(_logger, rs.Metadata.NamespaceProperty, rs.Metadata.Name, rs.Spec?.Replicas ?? 0, count);
            patch["spec"] = new JsonObject { ["replicas"] = count };
        }

        if (revision is long r)
        {
            patch["metadata"] = new JsonObject
            {
                ["annotations"] = new JsonObject { [DeploymentSync.RevisionAnnotation] = r.ToString(CultureInfo.InvariantCulture) },
            };
        }

        await _client.AppsV1.PatchNamespacedReplicaSetAsync(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch),
            rs.Metadata.Name,
            rs.Metadata.NamespaceProperty,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (replicas is int to && to != (rs.Spec?.Replicas ?? 0))
        {
            RecordScaling(deployment, rs.Metadata.Name, rs.Spec?.Replicas ?? 0, to);
        }
    }

    // The event kubectl describe deployment lists under Events, worded as upstream 1.32 words it.
    private void RecordScaling(V1Deployment deployment, string replicaSet, int from, int to) =>
        _events.Record(
            deployment,
            EventTypes.Normal,
            "ScalingReplicaSet",
            string.Create(CultureInfo.InvariantCulture, $"Scaled {(to > from ? "up" : "down")} replica set {replicaSet} from {from} to {to}"));

    private static string? DeploymentRevision(V1Deployment deployment) =>
        deployment.Metadata?.Annotations is { } a && a.TryGetValue(DeploymentSync.RevisionAnnotation, out string? v) ? v : null;

    private async Task PatchDeploymentRevisionAsync(V1Deployment deployment, long revision, CancellationToken cancellationToken)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["annotations"] = new JsonObject { [DeploymentSync.RevisionAnnotation] = revision.ToString(CultureInfo.InvariantCulture) },
            },
        };
        await _client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch),
            deployment.Metadata.Name,
            deployment.Metadata.NamespaceProperty,
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteReplicaSetAsync(V1ReplicaSet rs, CancellationToken cancellationToken)
    {
        try
        {
            await _client.AppsV1.DeleteNamespacedReplicaSetAsync(rs.Metadata.Name, rs.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone.
        }
    }

    private void EnqueueOwner(V1ReplicaSet rs)
    {
        V1OwnerReference? owner = PodControl.ControllerOf(rs.Metadata);
        if (owner is { Kind: "Deployment" })
        {
            Queue.Add(ObjectKeys.Of(rs.Metadata.NamespaceProperty, owner.Name));
            return;
        }

        if (owner is null && _deployments is not null)
        {
            // An orphan may be adopted by a Deployment whose selector matches it.
            foreach (V1Deployment deployment in _deployments.Cache.ByIndex(CacheIndexers.Namespace, rs.Metadata?.NamespaceProperty ?? string.Empty))
            {
                LabelSelector selector = LabelSelector.FromModel(deployment.Spec?.Selector);
                if (!selector.IsEmpty && selector.Matches(rs.Metadata?.Labels as IReadOnlyDictionary<string, string>))
                {
                    Enqueue(deployment);
                }
            }
        }
    }
}
