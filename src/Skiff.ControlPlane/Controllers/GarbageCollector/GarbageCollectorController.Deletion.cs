using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Skiff.Machinery.Informers;
using Skiff.Machinery.Json;
using Skiff.Machinery.Rest;

namespace Skiff.ControlPlane.Controllers.GarbageCollector;

public sealed partial class GarbageCollectorController
{
    /// <summary>Upstream's absentOwnerCache holds 500 uids.</summary>
    private const int AbsentOwnerCacheSize = 500;

    /// <summary>
    /// A dependent whose owners do not all look alive in the caches: reads it and each owner live, then deletes it when no
    /// owner is alive, or unlinks the dangling owners (and unblocks the foreground-deleting ones) when another owner keeps it.
    /// </summary>
    private async Task AttemptToDeleteAsync(GraphKey item, CancellationToken cancellationToken)
    {
        PartialObjectMetadata? live = await RawRest.GetAsync<PartialObjectMetadata>(_client, item.Resource, item.Namespace, item.Name, cancellationToken).ConfigureAwait(false);
        if (live is null || IsDeleting(live) || OwnerReferences(live).Count == 0)
        {
            // Gone, or already going (its own finalizers, if any, bring it back to the queue through the informer).
            return;
        }

        var solid = new List<V1OwnerReference>();
        var dangling = new List<V1OwnerReference>();
        var waiting = new List<V1OwnerReference>();
        foreach (V1OwnerReference reference in OwnerReferences(live))
        {
            switch (await ClassifyOwnerAsync(item, reference, cancellationToken).ConfigureAwait(false))
            {
                case OwnerState.Dangling:
                    dangling.Add(reference);
                    break;
                case OwnerState.WaitingForDependents:
                    waiting.Add(reference);
                    break;
                default:
                    solid.Add(reference);
                    break;
            }
        }

        if (solid.Count > 0)
        {
            if (dangling.Count == 0 && waiting.All(r => r.BlockOwnerDeletion != true))
            {
                return;
            }

            // Another owner keeps the object: forget the owners that are gone, and stop blocking the ones deleting in
            // foreground, which would otherwise wait for an object that is not going away.
            if (dangling.Count > 0)
            {
                LogRemovingOwners(_logger, new OwnerList(dangling), item);
            }

            if (waiting.Count > 0)
            {
                LogUnblocking(_logger, new OwnerList(waiting), item);
            }

            var danglingUids = dangling.Select(r => r.Uid).ToHashSet(StringComparer.Ordinal);
            var waitingUids = waiting.Select(r => r.Uid).ToHashSet(StringComparer.Ordinal);
            List<V1OwnerReference> kept = [.. OwnerReferences(live)
                .Where(r => !danglingUids.Contains(r.Uid))
                .Select(r => waitingUids.Contains(r.Uid) ? Unblocked(r) : r)];
            await PatchOwnerReferencesAsync(item, live, kept, cancellationToken).ConfigureAwait(false);
            return;
        }

        string policy;
        string why;
        if (waiting.Count > 0 && Dependents(live.Metadata.Uid ?? "").Any())
        {
            // Its owner waits for it and it has dependents of its own: it goes in foreground too, so the owner keeps
            // waiting until the whole subtree is gone.
            policy = "Foreground";
            why = "its owner is deleting its dependents in foreground";
        }
        else
        {
            policy = HasFinalizer(live, OrphanFinalizer) ? "Orphan" : HasFinalizer(live, ForegroundFinalizer) ? "Foreground" : "Background";
            why = waiting.Count > 0 ? "its owner is deleting its dependents in foreground" : "all its owners are gone";
        }

        LogDeleting(_logger, item, policy, why);
        await DeleteAsync(item, live.Metadata.Uid, policy, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// An owner deleting in foreground: done (finalizer removed) once no dependent blocks it; until then each blocking
    /// dependent that is not itself deleting its dependents is handed to the queue, where its owner reads as waiting.
    /// </summary>
    private async Task ProcessDeletingDependentsAsync(GraphKey item, PartialObjectMetadata owner, CancellationToken cancellationToken)
    {
        string uid = owner.Metadata.Uid ?? "";
        List<(GraphKey Key, PartialObjectMetadata Object)> blocking = [.. Dependents(uid)
            .Where(d => OwnerReferences(d.Object).Any(r => r.Uid == uid && r.BlockOwnerDeletion == true))];
        if (blocking.Count == 0)
        {
            await RemoveFinalizerAsync(item, uid, ForegroundFinalizer, cancellationToken).ConfigureAwait(false);
            return;
        }

        LogWaitingForDependents(_logger, item, blocking.Count);
        foreach ((GraphKey key, PartialObjectMetadata dependent) in blocking)
        {
            if (!IsDeletingWith(dependent, ForegroundFinalizer))
            {
                Queue.Add(key.ToString());
            }
        }
    }

    /// <summary>An owner deleting with the orphan finalizer: every dependent loses its ownerReference to it, then the finalizer goes.</summary>
    private async Task OrphanDependentsAsync(GraphKey item, PartialObjectMetadata owner, CancellationToken cancellationToken)
    {
        string uid = owner.Metadata.Uid ?? "";
        foreach ((GraphKey key, _) in Dependents(uid).ToList())
        {
            PartialObjectMetadata? live = await RawRest.GetAsync<PartialObjectMetadata>(_client, key.Resource, key.Namespace, key.Name, cancellationToken).ConfigureAwait(false);
            if (live is null || !OwnerReferences(live).Any(r => r.Uid == uid))
            {
                continue;
            }

            LogRemovingOwners(_logger, new OwnerList(OwnerReferences(live).Where(r => r.Uid == uid)), key);
            await PatchOwnerReferencesAsync(key, live, [.. OwnerReferences(live).Where(r => r.Uid != uid)], cancellationToken).ConfigureAwait(false);
        }

        await RemoveFinalizerAsync(item, uid, OrphanFinalizer, cancellationToken).ConfigureAwait(false);
    }

    private async Task<OwnerState> ClassifyOwnerAsync(GraphKey item, V1OwnerReference reference, CancellationToken cancellationToken)
    {
        if (OwnerResource(reference) is not { } resource)
        {
            // Upstream retries until discovery knows the kind; here the catalog is fixed, so the object is simply kept.
            LogUnknownOwnerKind(_logger, item, reference.ApiVersion ?? "", reference.Kind ?? "");
            return OwnerState.Solid;
        }

        if (resource.Namespaced && !item.Resource.Namespaced)
        {
            // A cluster-scoped object cannot be owned by a namespaced one (upstream: OwnerRefInvalidNamespace); the
            // reference can never resolve.
            return OwnerState.Dangling;
        }

        if (reference.Uid is { Length: > 0 } uid && _absentOwners.ContainsKey(uid))
        {
            return OwnerState.Dangling;
        }

        PartialObjectMetadata? owner = await RawRest.GetAsync<PartialObjectMetadata>(
            _client, resource, resource.Namespaced ? item.Namespace : null, reference.Name ?? "", cancellationToken).ConfigureAwait(false);
        if (owner is null || owner.Metadata.Uid != reference.Uid)
        {
            RememberAbsent(reference.Uid);
            return OwnerState.Dangling;
        }

        return IsDeletingWith(owner, ForegroundFinalizer) ? OwnerState.WaitingForDependents : OwnerState.Solid;
    }

    private void RememberAbsent(string? uid)
    {
        if (string.IsNullOrEmpty(uid))
        {
            return;
        }

        if (_absentOwners.Count >= AbsentOwnerCacheSize)
        {
            _absentOwners.Clear();
        }

        _absentOwners[uid] = true;
    }

    private async Task DeleteAsync(GraphKey item, string? uid, string policy, CancellationToken cancellationToken)
    {
        var options = new V1DeleteOptions
        {
            PropagationPolicy = policy,
            // Only the object that was judged: a new object that took its name meanwhile is left alone (409).
            Preconditions = string.IsNullOrEmpty(uid) ? null : new V1Preconditions { Uid = uid },
        };
        try
        {
            await RawRest.DeleteAsync(_client, item.Resource, item.Namespace, item.Name, options, cancellationToken).ConfigureAwait(false);
        }
        catch (KubernetesException e) when (e.Status?.Code == (int)HttpStatusCode.Conflict)
        {
            // Replaced by another object with the same name: nothing of ours to delete.
        }
    }

    /// <summary>Removes <paramref name="finalizer"/> from the live object, if it is still the one with <paramref name="uid"/>.</summary>
    private async Task RemoveFinalizerAsync(GraphKey item, string uid, string finalizer, CancellationToken cancellationToken)
    {
        PartialObjectMetadata? live = await RawRest.GetAsync<PartialObjectMetadata>(_client, item.Resource, item.Namespace, item.Name, cancellationToken).ConfigureAwait(false);
        if (live is null || live.Metadata.Uid != uid || !HasFinalizer(live, finalizer))
        {
            return;
        }

        List<string> rest = [.. live.Metadata.Finalizers!.Where(f => f != finalizer)];
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["finalizers"] = rest.Count == 0 ? null : JsonSerializer.SerializeToNode(rest, SkiffJson.Options),
                ["resourceVersion"] = live.Metadata.ResourceVersion,
            },
        };
        if (await RawRest.MergePatchAsync(_client, item.Resource, item.Namespace, item.Name, patch, cancellationToken).ConfigureAwait(false))
        {
            LogFinalizerRemoved(_logger, finalizer, item);
        }
    }

    /// <summary>Replaces the ownerReferences of the live object, guarded by its resourceVersion (a conflict is retried).</summary>
    private async Task PatchOwnerReferencesAsync(GraphKey item, PartialObjectMetadata live, List<V1OwnerReference> references, CancellationToken cancellationToken)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["ownerReferences"] = references.Count == 0 ? null : JsonSerializer.SerializeToNode(references, SkiffJson.Options),
                ["resourceVersion"] = live.Metadata.ResourceVersion,
            },
        };
        await RawRest.MergePatchAsync(_client, item.Resource, item.Namespace, item.Name, patch, cancellationToken).ConfigureAwait(false);
    }

    private static V1OwnerReference Unblocked(V1OwnerReference reference) => new()
    {
        ApiVersion = reference.ApiVersion,
        Kind = reference.Kind,
        Name = reference.Name,
        Uid = reference.Uid,
        Controller = reference.Controller,
        BlockOwnerDeletion = false,
    };

    /// <summary>ownerReferences as a log argument, formatted only when the message is written.</summary>
    private readonly struct OwnerList(IEnumerable<V1OwnerReference> references)
    {
        public override string ToString() => string.Join(", ", references.Select(r => $"{r.Kind}/{r.Name} (uid {r.Uid})"));
    }

    private enum OwnerState
    {
        Solid,
        Dangling,
        WaitingForDependents,
    }
}
