using System.Collections.Concurrent;
using System.Collections.Frozen;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.GarbageCollector;

/// <summary>
/// Upstream's garbage collector (pkg/controller/garbagecollector), by behaviour: it follows ownerReferences across every
/// stored resource through metadata informers and
/// <list type="bullet">
/// <item>deletes (Background) an object whose owners are all gone — deleted, or replaced by an object with another uid — and
/// drops the dangling ownerReferences of an object that still has a live owner;</item>
/// <item>for an owner being deleted with the <c>foregroundDeletion</c> finalizer, deletes its dependents (Foreground when they
/// have dependents themselves) and removes the finalizer once no dependent with blockOwnerDeletion is left;</item>
/// <item>for an owner being deleted with the <c>orphan</c> finalizer, removes the ownerReference to it from every dependent,
/// then the finalizer.</item>
/// </list>
/// The caches only decide what to look at: before deleting or unlinking anything, the dependent and each of its owners are
/// read live, so a stale cache (or an owner whose informer has not seen it yet) never causes a deletion.
/// </summary>
public sealed partial class GarbageCollectorController : Controller
{
    public const string OrphanFinalizer = "orphan";
    public const string ForegroundFinalizer = "foregroundDeletion";

    /// <summary>Upstream's ConcurrentGCSyncs default.</summary>
    public const int DefaultWorkers = 20;

    private readonly IKubernetes _client;
    private readonly ILogger<GarbageCollectorController> _logger;
    private readonly ResourceCatalog _catalog = ResourceCatalog.BuiltIn;
    private readonly IReadOnlyList<ResourceInfo> _resources;
    // uid → queue key of every object the informers hold, so an event about a dependent reaches its owners.
    private readonly ConcurrentDictionary<string, string> _uidToKey = new(StringComparer.Ordinal);
    // Owner uids a live read proved gone (upstream's absentOwnerCache): uids are never reused, so the answer stays true, and
    // the hundreds of pods of one deleted ReplicaSet cost one GET of it, not hundreds. Bounded by clearing when full.
    private readonly ConcurrentDictionary<string, bool> _absentOwners = new(StringComparer.Ordinal);
    private FrozenDictionary<(string Group, string Plural), (ResourceInfo Resource, SharedInformer<PartialObjectMetadata> Informer)> _informers =
        FrozenDictionary<(string, string), (ResourceInfo, SharedInformer<PartialObjectMetadata>)>.Empty;

    public GarbageCollectorController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        TimeProvider timeProvider,
        ILogger<GarbageCollectorController> logger,
        int workers = DefaultWorkers)
        : base("garbage-collector", workers, timeProvider, logger)
    {
        _client = client;
        _logger = logger;
        _resources = GraphResources(_catalog);
    }

    /// <summary>
    /// What the graph covers: every stored resource that can be listed, watched, patched and deleted, in its preferred
    /// (first served) version only, except events, which upstream's collector ignores by default.
    /// </summary>
    internal static IReadOnlyList<ResourceInfo> GraphResources(ResourceCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return [.. catalog.Resources
            .Where(r => !r.IsVirtual && r.Verbs.Contains("list") && r.Verbs.Contains("watch") && r.Verbs.Contains("delete") && r.Verbs.Contains("patch"))
            .Where(r => !(r.Plural == "events" && r.Group is "" or "events.k8s.io"))
            .GroupBy(r => (r.Group, r.Plural))
            .Select(g => g.First())];
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _uidToKey.Clear();
        _absentOwners.Clear();
        var byResource = new Dictionary<(string, string), (ResourceInfo, SharedInformer<PartialObjectMetadata>)>();
        foreach (ResourceInfo resource in _resources)
        {
            SharedInformer<PartialObjectMetadata> informer = informers.Metadata(resource);
            informer.AddEventHandler(new InformerHandler<PartialObjectMetadata>(
                onAdd: o => OnAdd(resource, o),
                onUpdate: (old, o) => OnUpdate(resource, old, o),
                onDelete: o => OnDelete(resource, o)));
            byResource[(resource.Group, resource.Plural)] = (resource, informer);
        }

        _informers = byResource.ToFrozenDictionary();
        LogWatching(_logger, _resources.Count);
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (!GraphKey.TryParse(key, _catalog, out GraphKey item) || Cached(item) is not { } cached)
        {
            // Gone: the delete event already handed its dependents and owners to the queue.
            return;
        }

        if (IsDeleting(cached))
        {
            if (HasFinalizer(cached, OrphanFinalizer))
            {
                await OrphanDependentsAsync(item, cached, cancellationToken).ConfigureAwait(false);
            }
            else if (HasFinalizer(cached, ForegroundFinalizer))
            {
                await ProcessDeletingDependentsAsync(item, cached, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (OwnerReferences(cached).Count == 0 || OwnersLiveInCache(item, cached))
        {
            return;
        }

        await AttemptToDeleteAsync(item, cancellationToken).ConfigureAwait(false);
    }

    private void OnAdd(ResourceInfo resource, PartialObjectMetadata obj)
    {
        string key = KeyOf(resource, obj).ToString();
        if (obj.Metadata.Uid is { Length: > 0 } uid)
        {
            _uidToKey[uid] = key;
        }

        if (OwnerReferences(obj).Count > 0 || IsDeletingWith(obj, OrphanFinalizer) || IsDeletingWith(obj, ForegroundFinalizer))
        {
            Queue.Add(key);
        }
    }

    private void OnUpdate(ResourceInfo resource, PartialObjectMetadata old, PartialObjectMetadata obj)
    {
        string key = KeyOf(resource, obj).ToString();
        if (obj.Metadata.Uid is { Length: > 0 } uid)
        {
            _uidToKey[uid] = key;
        }

        bool deletionChanged = (old.Metadata.DeletionTimestamp is null) != (obj.Metadata.DeletionTimestamp is null)
            || !(old.Metadata.Finalizers ?? []).SequenceEqual(obj.Metadata.Finalizers ?? []);
        if (!deletionChanged && SameOwnerReferences(old, obj))
        {
            return;
        }

        Queue.Add(key);

        // An owner waiting in foreground deletion looks again whenever a dependent's links or deletion state change.
        EnqueueOwners(old);
        EnqueueOwners(obj);
    }

    private void OnDelete(ResourceInfo resource, PartialObjectMetadata obj)
    {
        if (obj.Metadata.Uid is { Length: > 0 } uid)
        {
            _uidToKey.TryRemove(new KeyValuePair<string, string>(uid, KeyOf(resource, obj).ToString()));
            foreach ((GraphKey dependent, _) in Dependents(uid))
            {
                Queue.Add(dependent.ToString());
            }
        }

        EnqueueOwners(obj);
    }

    private void EnqueueOwners(PartialObjectMetadata obj)
    {
        foreach (V1OwnerReference reference in OwnerReferences(obj))
        {
            if (reference.Uid is { Length: > 0 } uid && _uidToKey.TryGetValue(uid, out string? ownerKey))
            {
                Queue.Add(ownerKey);
            }
        }
    }

    /// <summary>The cached objects that name <paramref name="ownerUid"/> in an ownerReference, across every resource.</summary>
    private IEnumerable<(GraphKey Key, PartialObjectMetadata Object)> Dependents(string ownerUid)
    {
        foreach ((ResourceInfo resource, SharedInformer<PartialObjectMetadata> informer) in _informers.Values)
        {
            foreach (PartialObjectMetadata dependent in informer.Cache.ByIndex(CacheIndexers.OwnerUid, ownerUid))
            {
                yield return (KeyOf(resource, dependent), dependent);
            }
        }
    }

    /// <summary>True when every owner is in the caches with the referenced uid and is not deleting its dependents.</summary>
    private bool OwnersLiveInCache(GraphKey item, PartialObjectMetadata obj)
    {
        foreach (V1OwnerReference reference in OwnerReferences(obj))
        {
            if (OwnerResource(reference) is not { } resource
                || !_informers.TryGetValue((resource.Group, resource.Plural), out var owners)
                || owners.Informer.Cache.Get(resource.Namespaced ? item.Namespace : null, reference.Name ?? "") is not { } owner
                || owner.Metadata.Uid != reference.Uid
                || IsDeletingWith(owner, ForegroundFinalizer))
            {
                return false;
            }
        }

        return true;
    }

    private PartialObjectMetadata? Cached(GraphKey key) =>
        _informers.TryGetValue((key.Resource.Group, key.Resource.Plural), out var entry) ? entry.Informer.Cache.Get(key.Namespace, key.Name) : null;

    /// <summary>The served resource an ownerReference's apiVersion and kind name (any served version of the group and kind).</summary>
    private ResourceInfo? OwnerResource(V1OwnerReference reference)
    {
        string apiVersion = reference.ApiVersion ?? "";
        int slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        string group = slash < 0 ? "" : apiVersion[..slash];
        string version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        return _catalog.FindKind(group, version, reference.Kind ?? "")
            ?? _resources.FirstOrDefault(r => r.Group == group && r.Kind == reference.Kind);
    }

    private static GraphKey KeyOf(ResourceInfo resource, PartialObjectMetadata obj) =>
        new(resource, resource.Namespaced ? obj.Metadata.NamespaceProperty : null, obj.Metadata.Name ?? "");

    internal static IList<V1OwnerReference> OwnerReferences(PartialObjectMetadata obj) => obj.Metadata?.OwnerReferences ?? [];

    private static bool IsDeleting(PartialObjectMetadata obj) => obj.Metadata?.DeletionTimestamp is not null;

    private static bool HasFinalizer(PartialObjectMetadata obj, string finalizer) => obj.Metadata?.Finalizers?.Contains(finalizer) == true;

    private static bool IsDeletingWith(PartialObjectMetadata obj, string finalizer) => IsDeleting(obj) && HasFinalizer(obj, finalizer);

    private static bool SameOwnerReferences(PartialObjectMetadata a, PartialObjectMetadata b)
    {
        IList<V1OwnerReference> x = OwnerReferences(a);
        IList<V1OwnerReference> y = OwnerReferences(b);
        return x.Count == y.Count && x.Zip(y).All(p =>
            p.First.Uid == p.Second.Uid && p.First.Name == p.Second.Name && p.First.BlockOwnerDeletion == p.Second.BlockOwnerDeletion);
    }
}
