using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Skiff.ControlPlane.Controllers.History;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.DaemonSet;

public sealed partial class DaemonSetController
{
    /// <summary>
    /// The revision of the current template and all of the DaemonSet's revisions (upstream constructHistory): an existing
    /// revision with the same data is current and is renumbered as the newest if it is not (a rollback), otherwise a new one
    /// is recorded. Null when the new name is taken by other data: status.collisionCount is bumped and the next sync retries.
    /// </summary>
    private async Task<(V1ControllerRevision? Current, List<V1ControllerRevision> All)> ConstructHistoryAsync(V1DaemonSet ds, CancellationToken cancellationToken)
    {
        V1OwnerReference owner = PodControl.ControllerReference("apps/v1", "DaemonSet", ds.Metadata);
        (List<V1ControllerRevision> revisions, List<V1ControllerRevision> orphans) = ControllerRefManager.Claim(
            ds.Metadata, ds.Spec?.Selector, _revisions!.Cache.ByIndex(CacheIndexers.Namespace, ds.Metadata.NamespaceProperty));
        foreach (V1ControllerRevision orphan in orphans)
        {
            try
            {
                revisions.Add(await _client.AppsV1.PatchNamespacedControllerRevisionAsync(
                    ControllerRefManager.AdoptionPatch(orphan.Metadata, owner), orphan.Metadata.Name, orphan.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
            {
                // Gone or changed since the cache saw it.
            }
        }

        int collisionCount = ds.Status?.CollisionCount ?? 0;
        string data = ControllerHistory.PatchFor(ds.Spec?.Template);
        List<V1ControllerRevision> matching = [.. revisions.Where(r => ControllerHistory.DataOf(r) == data).OrderBy(r => r.Revision ?? 0)];
        List<V1ControllerRevision> old = [.. revisions.Except(matching)];
        long next = ControllerHistory.MaxRevision(old) + 1;
        if (matching.Count == 0)
        {
            V1ControllerRevision candidate = ControllerHistory.New(owner, ds.Metadata, ds.Spec?.Template, next, collisionCount, DaemonSetSync.RevisionHashLabel, ds.Metadata.Annotations);
            V1ControllerRevision? created = await CreateRevisionAsync(ds, candidate, collisionCount, cancellationToken).ConfigureAwait(false);
            return (created, created is null ? revisions : [.. revisions, created]);
        }

        // Duplicates of the current template (a lost race) go; the newest survives.
        V1ControllerRevision current = matching[^1];
        foreach (V1ControllerRevision duplicate in matching.Take(matching.Count - 1))
        {
            await DeleteRevisionAsync(duplicate, cancellationToken).ConfigureAwait(false);
            revisions.Remove(duplicate);
        }

        if ((current.Revision ?? 0) < next)
        {
            revisions.Remove(current);
            current = await _client.AppsV1.PatchNamespacedControllerRevisionAsync(
                new V1Patch("{\"revision\":" + next.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}", V1Patch.PatchType.MergePatch),
                current.Metadata.Name,
                current.Metadata.NamespaceProperty,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            revisions.Add(current);
        }

        return (current, revisions);
    }

    private async Task<V1ControllerRevision?> CreateRevisionAsync(V1DaemonSet ds, V1ControllerRevision candidate, int collisionCount, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.AppsV1.CreateNamespacedControllerRevisionAsync(candidate, ds.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            V1ControllerRevision existing = await _client.AppsV1.ReadNamespacedControllerRevisionAsync(candidate.Metadata.Name, ds.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (ControllerHistory.SameData(existing, candidate) && PodControl.ControllerOf(existing.Metadata)?.Uid == ds.Metadata.Uid)
            {
                return existing;
            }

            LogCollision(_logger, ds.Metadata.NamespaceProperty, ds.Metadata.Name, candidate.Metadata.Name);
            V1DaemonSet update = ReplicaSetSync.Clone(ds);
            update.Status ??= new V1DaemonSetStatus();
            update.Status.CollisionCount = collisionCount + 1;
            await _client.AppsV1.ReplaceNamespacedDaemonSetStatusAsync(update, ds.Metadata.Name, ds.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    // Revisions beyond revisionHistoryLimit go, oldest first, unless they are current or a live pod still runs them.
    private async Task CleanupHistoryAsync(V1DaemonSet ds, List<V1Pod> pods, V1ControllerRevision current, List<V1ControllerRevision> all, CancellationToken cancellationToken)
    {
        var liveHashes = new HashSet<string>(
            pods.Where(p => p.Metadata?.DeletionTimestamp is null)
                .Select(p => p.Metadata?.Labels is { } l && l.TryGetValue(DaemonSetSync.RevisionHashLabel, out string? h) ? h : null)
                .OfType<string>(),
            StringComparer.Ordinal);
        var inUse = new HashSet<string>(StringComparer.Ordinal) { current.Metadata.Name };
        inUse.UnionWith(all.Where(r => r.Metadata.Labels is { } l && l.TryGetValue(DaemonSetSync.RevisionHashLabel, out string? h) && liveHashes.Contains(h)).Select(r => r.Metadata.Name));
        foreach (V1ControllerRevision revision in ControllerHistory.ToCleanUp(all, inUse, ds.Spec?.RevisionHistoryLimit ?? 10))
        {
            await DeleteRevisionAsync(revision, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DeleteRevisionAsync(V1ControllerRevision revision, CancellationToken cancellationToken)
    {
        try
        {
            await _client.AppsV1.DeleteNamespacedControllerRevisionAsync(revision.Metadata.Name, revision.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone.
        }
    }
}
