using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Controllers.History;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Controllers.StatefulSet;

/// <summary>
/// Runs StatefulSets (upstream pkg/controller/statefulset): pods with stable names <c>&lt;set&gt;-&lt;ordinal&gt;</c> created
/// in order (OrderedReady: each waits for the one before to be Running and Ready) or all at once (Parallel), removed highest
/// ordinal first, a PersistentVolumeClaim per volumeClaimTemplate and ordinal, ControllerRevisions that record each template
/// (what <c>kubectl rollout history/undo</c> read and write), and RollingUpdate with a partition or OnDelete. Pod names are
/// unique, so a sync that runs on a stale cache gets AlreadyExists or NotFound back instead of doing anything twice; no
/// expectations are needed.
/// </summary>
public sealed partial class StatefulSetController : Controller
{
    private readonly IKubernetes _client;
    private readonly ILogger<StatefulSetController> _logger;
    private readonly IEventRecorder _events;
    private SharedInformer<V1StatefulSet>? _sets;
    private SharedInformer<V1Pod>? _pods;
    private SharedInformer<V1ControllerRevision>? _revisions;
    private SharedInformer<V1PersistentVolumeClaim>? _claims;

    public StatefulSetController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        TimeProvider timeProvider,
        ILogger<StatefulSetController> logger,
        IEventRecorder? events = null,
        int workers = 5)
        : base("statefulset", workers, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = logger;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("statefulset-controller");
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _sets = informers.StatefulSets();
        _pods = informers.Pods();
        _revisions = informers.ControllerRevisions();
        _claims = informers.PersistentVolumeClaims();
        _sets.AddEventHandler(EnqueueHandler<V1StatefulSet>());
        _pods.AddEventHandler(OwnedObjectHandler<V1Pod>(EnqueueFor));
        _revisions.AddEventHandler(new InformerHandler<V1ControllerRevision>(
            onAdd: EnqueueFor,
            onUpdate: (_, revision) => EnqueueFor(revision),
            onDelete: EnqueueFor));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_sets is null || _pods is null || !_sets.Cache.TryGet(key, out V1StatefulSet? set) || set.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        if (LabelSelector.FromModel(set.Spec?.Selector).IsEmpty)
        {
            // An empty selector would select every pod in the namespace; upstream refuses to act on it too.
            return;
        }

        List<V1Pod> pods = await ClaimPodsAsync(set, cancellationToken).ConfigureAwait(false);
        Revisions? revisions = await SyncRevisionsAsync(set, cancellationToken).ConfigureAwait(false);
        if (revisions is null)
        {
            // A hash collision bumped status.collisionCount; its update event brings the next sync.
            return;
        }

        DateTimeOffset now = TimeProvider.GetUtcNow();
        int minReadySeconds = set.Spec?.MinReadySeconds ?? 0;
        StatefulSetStep step = StatefulSetSync.Plan(set, pods, revisions.Update.Metadata.Name, minReadySeconds, now);
        if (step.WaitingFor is { } waiting)
        {
            LogWaiting(_logger, set.Metadata.NamespaceProperty, set.Metadata.Name, waiting);
        }

        foreach (int ordinal in step.Creates)
        {
            await CreatePodAsync(set, revisions, ordinal, cancellationToken).ConfigureAwait(false);
        }

        foreach (V1Pod pod in step.Deletes)
        {
            await DeletePodAsync(set, pod, cancellationToken).ConfigureAwait(false);
        }

        V1StatefulSetStatus status = StatefulSetSync.ComputeStatus(set, pods, revisions.Current.Metadata.Name, revisions.Update.Metadata.Name, set.Status?.CollisionCount, now);
        if (!StatefulSetSync.StatusEquals(set.Status, status))
        {
            V1StatefulSet update = ReplicaSetSync.Clone(set);
            update.Status = status;
            await _client.AppsV1.ReplaceNamespacedStatefulSetStatusAsync(update, set.Metadata.Name, set.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        await TruncateHistoryAsync(set, pods, revisions, status, cancellationToken).ConfigureAwait(false);

        // Nothing else wakes the controller when a ready pod merely becomes available after minReadySeconds.
        if (minReadySeconds > 0 && pods.Any(p => StatefulSetSync.IsRunningAndReady(p) && !StatefulSetSync.IsRunningAndAvailable(p, minReadySeconds, now)))
        {
            Queue.AddAfter(key, TimeSpan.FromSeconds(1));
        }
    }

    private async Task<List<V1Pod>> ClaimPodsAsync(V1StatefulSet set, CancellationToken cancellationToken)
    {
        (List<V1Pod> owned, List<V1Pod> orphans) = ControllerRefManager.Claim(set.Metadata, set.Spec?.Selector, _pods!.Cache.ByIndex(CacheIndexers.Namespace, set.Metadata.NamespaceProperty));
        await ControllerRefManager.ReleasePodsAsync(_client, set.Metadata, set.Spec?.Selector, owned, cancellationToken).ConfigureAwait(false);
        foreach (V1Pod orphan in orphans.Where(p => StatefulSetSync.Ordinal(set, p) is not null))
        {
            try
            {
                owned.Add(await _client.CoreV1.PatchNamespacedPodAsync(
                    ControllerRefManager.AdoptionPatch(orphan.Metadata, PodControl.ControllerReference("apps/v1", "StatefulSet", set.Metadata)),
                    orphan.Metadata.Name,
                    orphan.Metadata.NamespaceProperty,
                    cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
            {
                // Gone or changed since the cache saw it: the next event decides again.
            }
        }

        return [.. owned.Where(p => StatefulSetSync.Ordinal(set, p) is not null)];
    }

    private async Task CreatePodAsync(V1StatefulSet set, Revisions revisions, int ordinal, CancellationToken cancellationToken)
    {
        string podName = StatefulSetSync.PodName(set, ordinal);
        foreach (V1PersistentVolumeClaim claim in StatefulSetSync.NewClaims(set, ordinal))
        {
            if (_claims is not null && _claims.Cache.TryGet(ObjectKeys.Of(claim), out _))
            {
                continue;
            }

            try
            {
                await _client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(claim, claim.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                _events.Record(set, EventTypes.Normal, "SuccessfulCreate", $"create Claim {claim.Metadata.Name} Pod {podName} in StatefulSet {set.Metadata.Name} success");
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // The claim outlives its pods (Retain): an earlier pod of this ordinal made it.
            }
            catch (HttpOperationException e)
            {
                _events.Record(set, EventTypes.Warning, "FailedCreate", $"create Claim {claim.Metadata.Name} for Pod {podName} in StatefulSet {set.Metadata.Name} failed error: {e.Response.Content}");
                throw;
            }
        }

        bool current = StatefulSetSync.UsesCurrentRevision(set, ordinal);
        V1ControllerRevision revision = current ? revisions.Current : revisions.Update;
        V1PodTemplateSpec? template = current ? ControllerHistory.TemplateOf(revisions.Current) ?? set.Spec?.Template : set.Spec?.Template;
        V1Pod pod = StatefulSetSync.NewPod(set, template, ordinal, revision.Metadata.Name);
        LogCreating(_logger, set.Metadata.NamespaceProperty, set.Metadata.Name, podName, revision.Metadata.Name);
        try
        {
            await _client.CoreV1.CreateNamespacedPodAsync(pod, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            _events.Record(set, EventTypes.Normal, "SuccessfulCreate", $"create Pod {podName} in StatefulSet {set.Metadata.Name} successful");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // The cache has not seen the pod an earlier sync created yet; its add event brings the next sync.
        }
        catch (HttpOperationException e)
        {
            _events.Record(set, EventTypes.Warning, "FailedCreate", $"create Pod {podName} in StatefulSet {set.Metadata.Name} failed error: {e.Response.Content}");
            throw;
        }
    }

    private async Task DeletePodAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
    {
        LogDeleting(_logger, set.Metadata.NamespaceProperty, set.Metadata.Name, pod.Metadata.Name);
        try
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            _events.Record(set, EventTypes.Normal, "SuccessfulDelete", $"delete Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} successful");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone.
        }
        catch (HttpOperationException e)
        {
            _events.Record(set, EventTypes.Warning, "FailedDelete", $"delete Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} failed error: {e.Response.Content}");
            throw;
        }
    }

    /// <summary>
    /// Finds or records the revision of the current template (upstream getStatefulSetRevisions): an existing revision with the
    /// same data is reused, and renumbered as the newest when it is not (a rollback); otherwise a new one is created. Null when
    /// a different revision already holds the new name and status.collisionCount was bumped instead.
    /// </summary>
    private async Task<Revisions?> SyncRevisionsAsync(V1StatefulSet set, CancellationToken cancellationToken)
    {
        List<V1ControllerRevision> revisions = await ClaimRevisionsAsync(set, cancellationToken).ConfigureAwait(false);
        revisions.Sort((a, b) => (a.Revision ?? 0).CompareTo(b.Revision ?? 0));
        int collisionCount = set.Status?.CollisionCount ?? 0;
        V1OwnerReference owner = PodControl.ControllerReference("apps/v1", "StatefulSet", set.Metadata);
        V1ControllerRevision candidate = ControllerHistory.New(owner, set.Metadata, set.Spec?.Template, ControllerHistory.MaxRevision(revisions) + 1, collisionCount, ControllerHistory.HashLabel, set.Metadata.Annotations);
        List<V1ControllerRevision> equal = [.. revisions.Where(r => ControllerHistory.SameData(r, candidate))];
        V1ControllerRevision update;
        if (equal.Count > 0 && ReferenceEquals(equal[^1], revisions[^1]))
        {
            update = revisions[^1];
        }
        else if (equal.Count > 0)
        {
            update = await _client.AppsV1.PatchNamespacedControllerRevisionAsync(
                new V1Patch("{\"revision\":" + (candidate.Revision ?? 0).ToString(CultureInfo.InvariantCulture) + "}", V1Patch.PatchType.MergePatch),
                equal[^1].Metadata.Name,
                set.Metadata.NamespaceProperty,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            revisions.Remove(equal[^1]);
            revisions.Add(update);
        }
        else
        {
            V1ControllerRevision? created = await CreateRevisionAsync(set, candidate, collisionCount, cancellationToken).ConfigureAwait(false);
            if (created is null)
            {
                return null;
            }

            update = created;
            revisions.Add(update);
        }

        V1ControllerRevision current = revisions.FirstOrDefault(r => r.Metadata.Name == set.Status?.CurrentRevision) ?? update;
        return new Revisions(current, update, revisions);
    }

    private async Task<V1ControllerRevision?> CreateRevisionAsync(V1StatefulSet set, V1ControllerRevision candidate, int collisionCount, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.AppsV1.CreateNamespacedControllerRevisionAsync(candidate, set.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            V1ControllerRevision existing = await _client.AppsV1.ReadNamespacedControllerRevisionAsync(candidate.Metadata.Name, set.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (ControllerHistory.SameData(existing, candidate) && PodControl.ControllerOf(existing.Metadata)?.Uid == set.Metadata.Uid)
            {
                return existing;
            }

            LogCollision(_logger, set.Metadata.NamespaceProperty, set.Metadata.Name, candidate.Metadata.Name);
            V1StatefulSet update = ReplicaSetSync.Clone(set);
            update.Status ??= new V1StatefulSetStatus();
            update.Status.CollisionCount = collisionCount + 1;
            await _client.AppsV1.ReplaceNamespacedStatefulSetStatusAsync(update, set.Metadata.Name, set.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    private async Task<List<V1ControllerRevision>> ClaimRevisionsAsync(V1StatefulSet set, CancellationToken cancellationToken)
    {
        (List<V1ControllerRevision> owned, List<V1ControllerRevision> orphans) = ControllerRefManager.Claim(
            set.Metadata, set.Spec?.Selector, _revisions!.Cache.ByIndex(CacheIndexers.Namespace, set.Metadata.NamespaceProperty));
        foreach (V1ControllerRevision orphan in orphans)
        {
            try
            {
                owned.Add(await _client.AppsV1.PatchNamespacedControllerRevisionAsync(
                    ControllerRefManager.AdoptionPatch(orphan.Metadata, PodControl.ControllerReference("apps/v1", "StatefulSet", set.Metadata)),
                    orphan.Metadata.Name,
                    orphan.Metadata.NamespaceProperty,
                    cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
            {
                // Gone or changed since the cache saw it.
            }
        }

        return owned;
    }

    // Revisions beyond revisionHistoryLimit go, oldest first, unless a live pod, the current or the update revision uses them.
    private async Task TruncateHistoryAsync(V1StatefulSet set, List<V1Pod> pods, Revisions revisions, V1StatefulSetStatus status, CancellationToken cancellationToken)
    {
        var inUse = new HashSet<string>(StringComparer.Ordinal) { revisions.Current.Metadata.Name, revisions.Update.Metadata.Name };
        if (status.CurrentRevision is { } currentName)
        {
            inUse.Add(currentName);
        }

        inUse.UnionWith(pods.Select(StatefulSetSync.Revision).OfType<string>());
        foreach (V1ControllerRevision old in ControllerHistory.ToCleanUp(revisions.All, inUse, set.Spec?.RevisionHistoryLimit ?? 10))
        {
            try
            {
                await _client.AppsV1.DeleteNamespacedControllerRevisionAsync(old.Metadata.Name, old.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // Already gone.
            }
        }
    }

    private void EnqueueFor(IKubernetesObject<V1ObjectMeta> obj)
    {
        V1OwnerReference? owner = PodControl.ControllerOf(obj.Metadata);
        if (owner is { Kind: "StatefulSet" })
        {
            Queue.Add(ObjectKeys.Of(obj.Metadata.NamespaceProperty, owner.Name));
            return;
        }

        if (owner is null && _sets is not null && obj.Metadata?.DeletionTimestamp is null)
        {
            // An orphan may be adopted by a StatefulSet whose selector matches it.
            foreach (V1StatefulSet set in _sets.Cache.ByIndex(CacheIndexers.Namespace, obj.Metadata?.NamespaceProperty ?? string.Empty))
            {
                LabelSelector selector = LabelSelector.FromModel(set.Spec?.Selector);
                if (!selector.IsEmpty && selector.Matches(obj.Metadata?.Labels as IReadOnlyDictionary<string, string>))
                {
                    Enqueue(set);
                }
            }
        }
    }

    private sealed record Revisions(V1ControllerRevision Current, V1ControllerRevision Update, List<V1ControllerRevision> All);
}
