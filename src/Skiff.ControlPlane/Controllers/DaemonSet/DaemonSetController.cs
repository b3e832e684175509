using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Controllers.DaemonSet;

/// <summary>
/// Runs one pod of each DaemonSet on every eligible node (upstream pkg/controller/daemon): nodes come from the Nodes
/// informer, eligibility from nodeSelector, required node affinity and taints (<see cref="NodeEligibility"/>); pods name their
/// node through node affinity as upstream's do. Templates are recorded as ControllerRevisions, pods carry the revision's
/// hash, and RollingUpdate (maxUnavailable, maxSurge) or OnDelete replaces pods of older revisions. Creates are tracked with
/// expectations, because pods are named by the server and a stale cache would otherwise create a node's pod twice.
/// </summary>
public sealed partial class DaemonSetController : Controller
{
    private readonly IKubernetes _client;
    private readonly ILogger<DaemonSetController> _logger;
    private readonly IEventRecorder _events;
    private readonly ControllerExpectations _expectations;
    private SharedInformer<V1DaemonSet>? _sets;
    private SharedInformer<V1Pod>? _pods;
    private SharedInformer<V1Node>? _nodes;
    private SharedInformer<V1ControllerRevision>? _revisions;

    public DaemonSetController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        TimeProvider timeProvider,
        ILogger<DaemonSetController> logger,
        IEventRecorder? events = null,
        int workers = 2)
        : base("daemonset", workers, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = logger;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("daemonset-controller");
        _expectations = new ControllerExpectations(timeProvider);
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _sets = informers.DaemonSets();
        _pods = informers.Pods();
        _nodes = informers.Nodes();
        _revisions = informers.ControllerRevisions();
        _sets.AddEventHandler(new InformerHandler<V1DaemonSet>(
            onAdd: Enqueue,
            onUpdate: (_, ds) => Enqueue(ds),
            onDelete: ds =>
            {
                _expectations.Delete(ObjectKeys.Of(ds));
                Enqueue(ds);
            }));
        _pods.AddEventHandler(OwnedObjectHandler<V1Pod>(
            EnqueueFor,
            onAdd: pod =>
            {
                if (ControllingKey(pod) is { } key && pod.Metadata?.DeletionTimestamp is null)
                {
                    _expectations.CreationObserved(key);
                }

                EnqueueFor(pod);
            }));

        // Node heartbeats change only status; what decides eligibility is labels, taints and the node coming or going.
        _nodes.AddEventHandler(new InformerHandler<V1Node>(
            onAdd: _ => EnqueueAll(),
            onUpdate: (old, node) =>
            {
                if (!EligibilityInputsEqual(old, node))
                {
                    EnqueueAll();
                }
            },
            onDelete: _ => EnqueueAll()));
        _revisions.AddEventHandler(new InformerHandler<V1ControllerRevision>(
            onAdd: EnqueueFor,
            onUpdate: (_, revision) => EnqueueFor(revision),
            onDelete: EnqueueFor));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_sets is null || _pods is null || _nodes is null || !_sets.Cache.TryGet(key, out V1DaemonSet? ds))
        {
            _expectations.Delete(key);
            return;
        }

        if (ds.Metadata.DeletionTimestamp is not null || LabelSelector.FromModel(ds.Spec?.Selector).IsEmpty)
        {
            return;
        }

        List<V1Pod> pods = await ClaimPodsAsync(ds, cancellationToken).ConfigureAwait(false);
        (V1ControllerRevision? current, List<V1ControllerRevision> all) = await ConstructHistoryAsync(ds, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return;
        }

        string hash = current.Metadata.Labels is { } labels && labels.TryGetValue(DaemonSetSync.RevisionHashLabel, out string? h) ? h : current.Metadata.Name;
        IReadOnlyList<V1Node> nodes = _nodes.Cache.List();
        Dictionary<string, List<V1Pod>> byNode = DaemonSetSync.ByNode(pods);
        DateTimeOffset now = TimeProvider.GetUtcNow();
        if (_expectations.IsSatisfied(key))
        {
            DaemonSetStep step = DaemonSetSync.Manage(ds, nodes, byNode, hash, now);
            if (step.IsEmpty && DaemonSetUpdate.IsRollingUpdate(ds))
            {
                step = DaemonSetUpdate.Plan(ds, nodes, byNode, hash, now);
            }

            await SyncNodesAsync(key, ds, step, hash, cancellationToken).ConfigureAwait(false);
            await CleanupHistoryAsync(ds, pods, current, all, cancellationToken).ConfigureAwait(false);
        }

        V1DaemonSetStatus status = DaemonSetSync.ComputeStatus(ds, nodes, byNode, hash, ds.Status?.CollisionCount, now);
        if (!DaemonSetSync.StatusEquals(ds.Status, status))
        {
            V1DaemonSet update = ReplicaSetSync.Clone(ds);
            update.Status = status;
            await _client.AppsV1.ReplaceNamespacedDaemonSetStatusAsync(update, ds.Metadata.Name, ds.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        int minReadySeconds = ds.Spec?.MinReadySeconds ?? 0;
        if (minReadySeconds > 0 && pods.Any(p => PodControl.IsReady(p) && !PodControl.IsAvailable(p, minReadySeconds, now)))
        {
            Queue.AddAfter(key, TimeSpan.FromSeconds(1));
        }
    }

    private async Task SyncNodesAsync(string key, V1DaemonSet ds, DaemonSetStep step, string hash, CancellationToken cancellationToken)
    {
        foreach ((V1Pod pod, string node) in step.Failed)
        {
            _events.Record(ds, EventTypes.Warning, "FailedDaemonPod", $"Found failed daemon pod {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} on node {node}, will try to kill it");
        }

        if (step.CreateOn.Count > 0)
        {
            LogCreating(_logger, ds.Metadata.NamespaceProperty, ds.Metadata.Name, step.CreateOn.Count);
            _expectations.ExpectCreations(key, step.CreateOn.Count);

            // Slow start (upstream): batches of 1, 2, 4, … so a template the server rejects fails once, not once per node.
            int done = 0;
            for (int batch = 1; done < step.CreateOn.Count; batch *= 2)
            {
                string[] nodes = [.. step.CreateOn.Skip(done).Take(batch)];
                try
                {
                    await Task.WhenAll(nodes.Select(node => CreatePodAsync(key, ds, node, hash, cancellationToken))).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    for (int skipped = done + nodes.Length; skipped < step.CreateOn.Count; skipped++)
                    {
                        _expectations.CreationFailed(key);
                    }

                    throw;
                }

                done += nodes.Length;
            }
        }

        foreach (V1Pod pod in step.Delete.DistinctBy(p => p.Metadata.Name))
        {
            LogDeleting(_logger, ds.Metadata.NamespaceProperty, ds.Metadata.Name, pod.Metadata.Name);
            try
            {
                await _client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                _events.Record(ds, EventTypes.Normal, "SuccessfulDelete", $"Deleted pod: {pod.Metadata.Name}");
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // Already gone.
            }
            catch (HttpOperationException e)
            {
                _events.Record(ds, EventTypes.Warning, "FailedDelete", $"Error deleting: {e.Response.Content}");
                throw;
            }
        }
    }

    private async Task CreatePodAsync(string key, V1DaemonSet ds, string node, string hash, CancellationToken cancellationToken)
    {
        try
        {
            V1Pod created = await _client.CoreV1.CreateNamespacedPodAsync(DaemonSetSync.NewPod(ds, node, hash), ds.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            _events.Record(ds, EventTypes.Normal, "SuccessfulCreate", $"Created pod: {created.Metadata.Name}");
        }
        catch (HttpOperationException e)
        {
            _expectations.CreationFailed(key);
            _events.Record(ds, EventTypes.Warning, "FailedCreate", $"Error creating: {e.Response.Content}");
            throw;
        }
        catch (Exception)
        {
            _expectations.CreationFailed(key);
            throw;
        }
    }

    private async Task<List<V1Pod>> ClaimPodsAsync(V1DaemonSet ds, CancellationToken cancellationToken)
    {
        (List<V1Pod> owned, List<V1Pod> orphans) = ControllerRefManager.Claim(ds.Metadata, ds.Spec?.Selector, _pods!.Cache.ByIndex(CacheIndexers.Namespace, ds.Metadata.NamespaceProperty));
        await ControllerRefManager.ReleasePodsAsync(_client, ds.Metadata, ds.Spec?.Selector, owned, cancellationToken).ConfigureAwait(false);
        foreach (V1Pod orphan in orphans)
        {
            try
            {
                owned.Add(await _client.CoreV1.PatchNamespacedPodAsync(
                    ControllerRefManager.AdoptionPatch(orphan.Metadata, PodControl.ControllerReference("apps/v1", "DaemonSet", ds.Metadata)),
                    orphan.Metadata.Name,
                    orphan.Metadata.NamespaceProperty,
                    cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
            {
                // Gone or changed since the cache saw it: the next event decides again.
            }
        }

        return owned;
    }

    private void EnqueueFor(IKubernetesObject<V1ObjectMeta> obj)
    {
        if (ControllingKey(obj) is { } key)
        {
            Queue.Add(key);
            return;
        }

        if (PodControl.ControllerOf(obj.Metadata) is null && _sets is not null && obj.Metadata?.DeletionTimestamp is null)
        {
            foreach (V1DaemonSet ds in _sets.Cache.ByIndex(CacheIndexers.Namespace, obj.Metadata?.NamespaceProperty ?? string.Empty))
            {
                LabelSelector selector = LabelSelector.FromModel(ds.Spec?.Selector);
                if (!selector.IsEmpty && selector.Matches(obj.Metadata?.Labels as IReadOnlyDictionary<string, string>))
                {
                    Enqueue(ds);
                }
            }
        }
    }

    private static string? ControllingKey(IKubernetesObject<V1ObjectMeta> obj) =>
        PodControl.ControllerOf(obj.Metadata) is { Kind: "DaemonSet" } owner ? ObjectKeys.Of(obj.Metadata.NamespaceProperty, owner.Name) : null;

    private void EnqueueAll()
    {
        foreach (V1DaemonSet ds in _sets?.Cache.List() ?? [])
        {
            Enqueue(ds);
        }
    }

    private static bool EligibilityInputsEqual(V1Node a, V1Node b) =>
        LabelsEqual(a.Metadata?.Labels, b.Metadata?.Labels)
        && a.Spec?.Unschedulable == b.Spec?.Unschedulable
        && string.Join('\n', (a.Spec?.Taints ?? []).Select(t => t.Key + "=" + t.Value + ":" + t.Effect)) == string.Join('\n', (b.Spec?.Taints ?? []).Select(t => t.Key + "=" + t.Value + ":" + t.Effect));

    private static bool LabelsEqual(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a ?? new Dictionary<string, string>()).All(l => b is not null && b.TryGetValue(l.Key, out string? v) && v == l.Value);
}
