using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Controllers.ReplicaSet;

/// <summary>
/// Keeps each ReplicaSet's count of active pods at spec.replicas (upstream pkg/controller/replicaset): adopts matching orphans,
/// creates pods from the template, deletes the cheapest surplus pods, and writes status through the status subresource.
/// Expectations stop a sync from acting again before the informer has seen the previous sync's creates and deletes.
/// </summary>
public sealed partial class ReplicaSetController : Controller
{
    private readonly IKubernetes _client;
    private readonly ILogger<ReplicaSetController> _logger;
    private readonly ControllerExpectations _expectations;
    private readonly IEventRecorder _events;
    private SharedInformer<V1ReplicaSet>? _replicaSets;
    private SharedInformer<V1Pod>? _pods;

    public ReplicaSetController([FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client, TimeProvider timeProvider, ILogger<ReplicaSetController> logger, int workers = 5, IEventRecorder? events = null)
        : base("replicaset", workers, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("replicaset-controller");
        _logger = logger;
        _expectations = new ControllerExpectations(timeProvider);
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _replicaSets = informers.ReplicaSets();
        _pods = informers.Pods();
        _replicaSets.AddEventHandler(new InformerHandler<V1ReplicaSet>(
            onAdd: Enqueue,
            onUpdate: (_, rs) => Enqueue(rs),
            onDelete: rs =>
            {
                _expectations.Delete(ObjectKeys.Of(rs));
                Enqueue(rs);
            }));
        _pods.AddEventHandler(new InformerHandler<V1Pod>(OnPodAdd, OnPodUpdate, OnPodDelete));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_replicaSets is null || _pods is null || !_replicaSets.Cache.TryGet(key, out V1ReplicaSet? rs))
        {
            _expectations.Delete(key);
            return;
        }

        string ns = rs.Metadata.NamespaceProperty;
        (List<V1Pod> owned, List<V1Pod> orphans) = ReplicaSetSync.ClaimPods(rs, _pods.Cache.ByIndex(CacheIndexers.Namespace, ns));
        foreach (V1Pod orphan in orphans)
        {
            V1Pod? adopted = await AdoptAsync(rs, orphan, cancellationToken).ConfigureAwait(false);
            if (adopted is not null)
            {
                owned.Add(adopted);
            }
        }

        List<V1Pod> active = [.. owned.Where(PodControl.IsActive)];
        if (_expectations.IsSatisfied(key) && rs.Metadata.DeletionTimestamp is null)
        {
            await ManageReplicasAsync(key, rs, active, cancellationToken).ConfigureAwait(false);
        }

        DateTimeOffset now = TimeProvider.GetUtcNow();
        V1ReplicaSetStatus status = ReplicaSetSync.ComputeStatus(rs, active, now);
        if (!ReplicaSetSync.StatusEquals(rs.Status, status))
        {
            V1ReplicaSet update = ReplicaSetSync.Clone(rs);
            update.Status = status;
            await _client.AppsV1.ReplaceNamespacedReplicaSetStatusAsync(update, rs.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        if (ReplicaSetSync.NextAvailabilityCheck(rs, active, now) is { } delay)
        {
            Queue.AddAfter(key, delay);
        }
    }

    private async Task ManageReplicasAsync(string key, V1ReplicaSet rs, List<V1Pod> active, CancellationToken cancellationToken)
    {
        int diff = ReplicaSetSync.Diff(rs, active);
        if (diff > 0)
        {
            _expectations.ExpectCreations(key, diff);
            LogCreating(_logger, rs.Metadata.NamespaceProperty, rs.Metadata.Name, diff);

            // Slow start (upstream): batches of 1, 2, 4, … so a template the server rejects fails once, not diff times.
            int remaining = diff;
            for (int batch = 1; remaining > 0; batch *= 2)
            {
                int size = Math.Min(batch, remaining);
                Task[] creates = [.. Enumerable.Range(0, size).Select(_ => CreatePodAsync(key, rs, cancellationToken))];
                try
                {
                    await Task.WhenAll(creates).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    int skipped = remaining - size;
                    for (int i = 0; i < skipped; i++)
                    {
                        _expectations.CreationFailed(key);
                    }

                    throw;
                }

                remaining -= size;
            }
        }
        else if (diff < 0)
        {
            List<V1Pod> victims = ReplicaSetSync.PodsToDelete(active, -diff);
            _expectations.ExpectDeletions(key, victims.Select(ObjectKeys.Of));
            LogDeleting(_logger, rs.Metadata.NamespaceProperty, rs.Metadata.Name, victims.Count);
            await Task.WhenAll(victims.Select(pod => DeletePodAsync(key, rs, pod, cancellationToken))).ConfigureAwait(false);
        }
    }

    private async Task CreatePodAsync(string key, V1ReplicaSet rs, CancellationToken cancellationToken)
    {
        try
        {
            V1Pod created = await _client.CoreV1.CreateNamespacedPodAsync(ReplicaSetSync.NewPod(rs), rs.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            _events.Record(rs, EventTypes.Normal, "SuccessfulCreate", "Created pod: " + created.Metadata.Name);
        }
        catch (Exception failure)
        {
            _expectations.CreationFailed(key);
            if (failure is not OperationCanceledException)
            {
                _events.Record(rs, EventTypes.Warning, "FailedCreate", "Error creating: " + ApiFailures.Message(failure));
            }

            throw;
        }
    }

    private async Task DeletePodAsync(string key, V1ReplicaSet rs, V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            _events.Record(rs, EventTypes.Normal, "SuccessfulDelete", "Deleted pod: " + pod.Metadata.Name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            _expectations.DeletionObserved(key, ObjectKeys.Of(pod));
        }
        catch (Exception)
        {
            // The informer will never report this delete; stop waiting for it.
            _expectations.DeletionObserved(key, ObjectKeys.Of(pod));
            throw;
        }
    }

    // Adoption is a patch that carries the pod's uid, so a pod deleted and recreated under the same name is not adopted by mistake.
    private async Task<V1Pod?> AdoptAsync(V1ReplicaSet rs, V1Pod orphan, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.CoreV1.PatchNamespacedPodAsync(
                ControllerRefManager.AdoptionPatch(orphan.Metadata, PodControl.ControllerReference("apps/v1", "ReplicaSet", rs.Metadata)),
                orphan.Metadata.Name,
                orphan.Metadata.NamespaceProperty,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
        {
            // Gone or changed since the cache saw it: the next event decides again.
            return null;
        }
    }

    private void OnPodAdd(V1Pod pod)
    {
        if (pod.Metadata?.DeletionTimestamp is not null)
        {
            OnPodDelete(pod);
            return;
        }

        if (ControllingReplicaSet(pod) is { } rs)
        {
            string key = ObjectKeys.Of(rs);
            _expectations.CreationObserved(key);
            Queue.Add(key);
            return;
        }

        EnqueueMatchingReplicaSets(pod);
    }

    private void OnPodUpdate(V1Pod old, V1Pod pod)
    {
        if (pod.Metadata?.DeletionTimestamp is not null && old.Metadata?.DeletionTimestamp is null && ControllingReplicaSet(pod) is { } deleting)
        {
            // A graceful delete started: the pod no longer counts, so the replacement may be created now (upstream does the same).
            _expectations.DeletionObserved(ObjectKeys.Of(deleting), ObjectKeys.Of(pod));
        }

        if (PodControl.ControllerOf(old.Metadata)?.Uid != PodControl.ControllerOf(pod.Metadata)?.Uid && ControllingReplicaSet(old) is { } previous)
        {
            Enqueue(previous);
        }

        if (ControllingReplicaSet(pod) is { } rs)
        {
            Enqueue(rs);
        }
        else
        {
            EnqueueMatchingReplicaSets(pod);
        }
    }

    private void OnPodDelete(V1Pod pod)
    {
        if (ControllingReplicaSet(pod) is { } rs)
        {
            string key = ObjectKeys.Of(rs);
            _expectations.DeletionObserved(key, ObjectKeys.Of(pod));
            Queue.Add(key);
        }
    }

    private V1ReplicaSet? ControllingReplicaSet(V1Pod pod)
    {
        V1OwnerReference? owner = PodControl.ControllerOf(pod.Metadata);
        if (owner is not { Kind: "ReplicaSet" } || _replicaSets is null)
        {
            return null;
        }

        V1ReplicaSet? rs = _replicaSets.Cache.Get(pod.Metadata.NamespaceProperty, owner.Name);
        return rs?.Metadata?.Uid == owner.Uid ? rs : null;
    }

    private void EnqueueMatchingReplicaSets(V1Pod pod)
    {
        if (_replicaSets is null || pod.Metadata?.DeletionTimestamp is not null)
        {
            return;
        }

        foreach (V1ReplicaSet rs in _replicaSets.Cache.ByIndex(CacheIndexers.Namespace, pod.Metadata?.NamespaceProperty ?? string.Empty))
        {
            LabelSelector selector = LabelSelector.FromModel(rs.Spec?.Selector);
            if (!selector.IsEmpty && selector.Matches(pod.Metadata?.Labels as IReadOnlyDictionary<string, string>))
            {
                Enqueue(rs);
            }
        }
    }
}
