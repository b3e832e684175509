using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.Registry.Strategies;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Json;
using Skiff.Machinery.Queues;
using Skiff.Store;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// The API server's CRD registration (upstream's naming, establishing and finalizer controllers in one loop). It watches
/// CustomResourceDefinitions in the watch cache and, per CRD: accepts its names unless another resource of the group holds them
/// (status.acceptedNames, NamesAccepted), serves every served version under the accepted names, then reports Established and
/// the stored versions. A CRD being deleted first loses all its objects (every namespace), then stops being served, then
/// loses the cleanup finalizer, which lets the registry remove it.
/// </summary>
internal sealed partial class CustomResourceDefinitionController : BackgroundService
{
    private const string FieldManager = "skiff-apiextensions-controller";
    private static readonly TimeSpan s_retry = TimeSpan.FromSeconds(1);

    private readonly ApiWatchCache _cache;
    private readonly ObjectRegistry _registry;
    private readonly ServedCustomResources _served;
    private readonly ResourceCatalog _catalog;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<CustomResourceDefinitionController> _logger;
    private readonly ResourceInfo _crds;
    private readonly WorkQueue<string> _queue;

    // The names this loop accepted last, per CRD: newer than the cache until the status write comes back through the watch,
    // so two CRDs that ask for one name at once cannot both get it.
    private readonly Dictionary<string, V1CustomResourceDefinitionNames> _accepted = new(StringComparer.Ordinal);

    public CustomResourceDefinitionController(
        ApiWatchCache cache,
        ObjectRegistry registry,
        ServedCustomResources served,
        ResourceCatalog catalog,
        TimeProvider timeProvider,
        ILogger<CustomResourceDefinitionController> logger)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _cache = cache;
        _registry = registry;
        _served = served;
        _catalog = catalog;
        _timeProvider = timeProvider;
        _logger = logger;
        _queue = new WorkQueue<string>(timeProvider);
        _crds = catalog.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            ?? throw new InvalidOperationException("the catalog has no customresourcedefinitions");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await _cache.Ready.WaitAsync(stoppingToken);
        if (!_served.Enabled)
        {
            LogDisabled(_logger);
            return;
        }

        Task feed = FeedAsync(stoppingToken);
        try
        {
            while (true)
            {
                WorkQueueItem<string> next = await _queue.GetAsync(stoppingToken);
                if (next.ShuttingDown)
                {
                    break;
                }

                string name = next.Item;
                try
                {
                    await ReconcileAsync(name, stoppingToken);
                }
                catch (Exception ex) when (ex is StatusException or StoreException or JsonException or InvalidOperationException)
                {
                    LogRetry(_logger, name, ex);
                    _queue.AddAfter(name, s_retry);
                }
                finally
                {
                    _queue.Done(name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        _queue.ShutDown();
        await feed.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public override void Dispose()
    {
        _queue.Dispose();
        base.Dispose();
    }

    /// <summary>Queues every CRD now, then each changed CRD and the others of its group (their names may be free now).</summary>
    private async Task FeedAsync(CancellationToken cancellationToken)
    {
        string prefix = StorageKeys.ResourcePrefix(_crds);
        while (!cancellationToken.IsCancellationRequested)
        {
            // A relist of the cache closes the watcher; then everything is queued again.
            using CacheWatcher watcher = _cache.Bucket(_crds).WatchFromNow(prefix, null, out List<CachedObject> current);
            foreach (CachedObject item in current)
            {
                _queue.Add(item.Name);
            }

            // A CRD deleted while the cache relisted has no event and is not in the list: its reconcile finds it gone.
            foreach (string served in _served.ServedCrdNames)
            {
                _queue.Add(served);
            }

            try
            {
                await foreach (CacheEvent change in watcher.Reader.ReadAllAsync(cancellationToken))
                {
                    _queue.Add(change.Object.Name);
                    string? group = GroupOf(change.Object.Json);
                    foreach (CachedObject other in _cache.Bucket(_crds).Snapshot(prefix, null))
                    {
                        if (other.Name != change.Object.Name && GroupOf(other.Json) == group)
                        {
                            _queue.Add(other.Name);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task ReconcileAsync(string name, CancellationToken cancellationToken)
    {
        ResourceBucket bucket = _cache.Bucket(_crds);
        CachedObject? cached = bucket.Get(StorageKeys.Object(_crds, null, name));
        try
        {
            if (cached is null)
            {
                _accepted.Remove(name);
                if (await _served.StopAsync(name, cancellationToken))
                {
                    LogStopped(_logger, name);
                }

                return;
            }

            V1CustomResourceDefinition crd = Read(cached.Json);
            if (crd.Metadata.DeletionTimestamp is not null)
            {
                await FinalizeAsync(crd, cancellationToken);
                return;
            }

            await ReconcileLiveAsync(name, bucket, cached, crd, cancellationToken);
        }
        finally
        {
            // Whatever happened (served, stopped, being deleted, failed and requeued), a writer waiting on this CRD goes on;
            // a CRD gone from the cache is done at least up to the cache's revision.
            _served.MarkReconciled(name, cached?.Revision ?? _cache.Revision);
        }
    }

    private async Task ReconcileLiveAsync(string name, ResourceBucket bucket, CachedObject cached, V1CustomResourceDefinition crd, CancellationToken cancellationToken)
    {
        if (!(crd.Metadata.Finalizers ?? []).Contains(CustomResourceDefinitionStrategy.CleanupFinalizer))
        {
            // CRDs stored before the finalizer existed get it now; the update comes back as an event.
            await UpdateAsync(name, subresource: null, json => AddFinalizer(json), cancellationToken);
            return;
        }

        IEnumerable<V1CustomResourceDefinition> all = bucket.Snapshot(StorageKeys.ResourcePrefix(_crds), null).Select(o => WithLatestNames(Read(o.Json)));
        DateTime now = Now();
        (V1CustomResourceDefinitionNames accepted, V1CustomResourceDefinitionCondition namesAccepted) = CustomResourceNaming.Accept(crd, all, _catalog, now);
        var status = new V1CustomResourceDefinitionStatus
        {
            AcceptedNames = accepted,
            Conditions = [.. crd.Status?.Conditions ?? []],
            StoredVersions = [.. crd.Status?.StoredVersions ?? []],
        };
        SetCondition(status, namesAccepted);
        bool established = namesAccepted.Status == "True" || status.Conditions.Any(c => c.Type == "Established" && c.Status == "True");
        SetCondition(status, established
            ? CustomResourceNaming.Condition("Established", "True", "InitialNamesAccepted", "the initial names have been accepted", now)
            : CustomResourceNaming.Condition("Established", "False", "NotAccepted", "not all names are accepted", now));
        if (crd.Spec?.Versions?.FirstOrDefault(v => v.Storage) is { } storage && !status.StoredVersions.Contains(storage.Name))
        {
            status.StoredVersions.Add(storage.Name);
        }

        // Serve first, then say Established: a client that waits for the condition can use the kind at once.
        crd.Status = status;
        if (established)
        {
            if (await _served.ServeAsync(crd, cancellationToken))
            {
                LogServing(_logger, name, crd.Spec?.Group ?? string.Empty, accepted.Plural);
            }
        }
        else if (namesAccepted.Status != "True")
        {
            LogNamesNotAccepted(_logger, name, namesAccepted.Reason, namesAccepted.Message);
        }

        _accepted[name] = accepted;
        JsonNode? wanted = JsonSerializer.SerializeToNode(status, SkiffJson.Options);
        if (!JsonNode.DeepEquals(wanted, JsonNode.Parse(cached.Json)?["status"]))
        {
            await UpdateAsync(name, "status", json =>
            {
                json["status"] = wanted?.DeepClone();
                return json;
            }, cancellationToken);
        }
    }

    /// <summary>Deletes every object of the CRD's kind, stops serving it, then removes the cleanup finalizer.</summary>
    private async Task FinalizeAsync(V1CustomResourceDefinition crd, CancellationToken cancellationToken)
    {
        string name = crd.Metadata.Name;
        if (!(crd.Metadata.Finalizers ?? []).Contains(CustomResourceDefinitionStrategy.CleanupFinalizer))
        {
            await _served.StopAsync(name, cancellationToken);
            return;
        }

        _served.MarkTerminating(name);
        if (!(crd.Status?.Conditions ?? []).Any(c => c.Type == "Terminating" && c.Status == "True"))
        {
            await UpdateAsync(name, "status", json =>
            {
                V1CustomResourceDefinitionStatus status = json["status"]?.Deserialize<V1CustomResourceDefinitionStatus>(SkiffJson.Options) ?? new();
                status.Conditions ??= [];
                SetCondition(status, CustomResourceNaming.Condition("Terminating", "True", "InstanceDeletionInProgress", "CustomResource deletion is in progress", Now()));
                json["status"] = JsonSerializer.SerializeToNode(status, SkiffJson.Options);
                return json;
            }, cancellationToken);
        }

        // The objects live under the group and plural the CRD was served with (any version: they share one key space).
        ResourceInfo? resource = _served.Versions(name).FirstOrDefault()?.Resource;
        if (resource is null && crd.Status?.AcceptedNames is { Plural.Length: > 0 } names && crd.Spec?.Group is { } group)
        {
            resource = CustomResourceKeys(group, names.Plural, crd.Spec.Scope != "Cluster");
        }

        if (resource is not null)
        {
            await _cache.AddResourceAsync(resource, cancellationToken);
            int remaining = await DeleteObjectsAsync(resource, cancellationToken);
            if (remaining > 0)
            {
                // Objects with finalizers of their own go when their owners finish; look again shortly.
                LogWaitingForObjects(_logger, name, remaining);
                _queue.AddAfter(name, s_retry);
                return;
            }
        }

        await _served.StopAsync(name, cancellationToken);
        if (resource is not null)
        {
            await _cache.RemoveResourceAsync(resource, cancellationToken);
        }

        _accepted.Remove(name);
        await UpdateAsync(name, subresource: null, json =>
        {
            if (json["metadata"]?["finalizers"] is JsonArray finalizers)
            {
                foreach (JsonNode? entry in finalizers.Where(f => f?.GetValue<string>() == CustomResourceDefinitionStrategy.CleanupFinalizer).ToList())
                {
                    finalizers.Remove(entry);
                }
            }

            return json;
        }, cancellationToken);
        LogFinalized(_logger, name);
    }

    /// <summary>Deletes what the cache holds of <paramref name="resource"/>; returns how many objects are still there after.</summary>
    private async Task<int> DeleteObjectsAsync(ResourceInfo resource, CancellationToken cancellationToken)
    {
        string prefix = StorageKeys.ResourcePrefix(resource);
        foreach (CachedObject item in _cache.Bucket(resource).Snapshot(prefix, null))
        {
            try
            {
                await _registry.DeleteAsync(resource, item.Namespace, item.Name, options: null, dryRun: false, cancellationToken);
            }
            catch (StatusException ex) when (ex.Code == 404)
            {
                // Already gone.
            }
        }

        await _cache.SyncAsync(cancellationToken);
        return _cache.Bucket(resource).Snapshot(prefix, null).Count;
    }

    private async Task UpdateAsync(string name, string? subresource, Func<JsonObject, JsonObject> change, CancellationToken cancellationToken)
    {
        var write = new WriteRequest(FieldManager, FieldValidation.Ignore, DryRun: false);
        try
        {
            await _registry.UpdateAsync(_crds, null, name, subresource, current => change(current!), write, createIfMissing: false, cancellationToken);
        }
        catch (StatusException ex) when (ex.Code == 404)
        {
            // Gone meanwhile (the cache lags the store); its deletion event comes next.
        }
    }

    private static JsonObject AddFinalizer(JsonObject json)
    {
        JsonObject metadata = json["metadata"] as JsonObject ?? [];
        json["metadata"] = metadata;
        if (metadata["finalizers"] is not JsonArray finalizers)
        {
            finalizers = [];
            metadata["finalizers"] = finalizers;
        }

        if (!finalizers.Any(f => f?.GetValue<string>() == CustomResourceDefinitionStrategy.CleanupFinalizer))
        {
            finalizers.Add(CustomResourceDefinitionStrategy.CleanupFinalizer);
        }

        return json;
    }

    /// <summary>Replaces the condition of the same type; its transition time stays when its status did not change.</summary>
    private static void SetCondition(V1CustomResourceDefinitionStatus status, V1CustomResourceDefinitionCondition condition)
    {
        status.Conditions ??= [];
        V1CustomResourceDefinitionCondition? existing = status.Conditions.FirstOrDefault(c => c.Type == condition.Type);
        if (existing is not null)
        {
            if (existing.Status == condition.Status)
            {
                condition.LastTransitionTime = existing.LastTransitionTime;
            }

            status.Conditions[status.Conditions.IndexOf(existing)] = condition;
            return;
        }

        status.Conditions.Add(condition);
    }

    private V1CustomResourceDefinition WithLatestNames(V1CustomResourceDefinition crd)
    {
        if (_accepted.TryGetValue(crd.Metadata.Name, out V1CustomResourceDefinitionNames? names))
        {
            crd.Status ??= new V1CustomResourceDefinitionStatus();
            crd.Status.AcceptedNames = names;
        }

        return crd;
    }

    private static ResourceInfo CustomResourceKeys(string group, string plural, bool namespaced) =>
        new(group, string.Empty, string.Empty, plural, string.Empty, namespaced, [], [], [], [], typeof(CustomResource), typeof(CustomResourceList));

    private static V1CustomResourceDefinition Read(byte[] json) =>
        JsonSerializer.Deserialize<V1CustomResourceDefinition>(json, SkiffJson.Options) ?? throw new JsonException("a stored CRD is null");

    private static string? GroupOf(byte[] json) => JsonNode.Parse(json)?["spec"]?["group"]?.GetValue<string>();

    private DateTime Now()
    {
        DateTimeOffset now = _timeProvider.GetUtcNow();
        return new DateTime(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }
}
