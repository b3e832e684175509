using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Store;

namespace Skiff.ApiServer.WatchCache;

/// <summary>
/// The API server's in-memory view of the store, which serves every list and watch. One store watch over the whole key space
/// feeds it, so its revision is the store's revision: a consistent read only has to wait until the cache has caught up with the
/// revision the store reports. On a compaction gap it relists and closes every client watch, which then resume or get 410.
/// </summary>
internal sealed partial class ApiWatchCache : BackgroundService
{
    private const int ListPage = 2000;

    private readonly IRevisionedStore _store;
    private readonly ILogger<ApiWatchCache> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<string, ResourceBucket> _buckets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ResourceInfo> _resources = new(StringComparer.Ordinal);

    // Held while the store's changes are applied and while a bucket is added, so a new bucket is listed at exactly the
    // revision the cache has reached and misses no change after it.
    private readonly SemaphoreSlim _applyGate = new(1, 1);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringPool _pool = new();
    private readonly Lock _signalLock = new();
    private TaskCompletionSource _advanced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _revision;

    public ApiWatchCache(IRevisionedStore store, ResourceCatalog catalog, TimeProvider timeProvider, ILogger<ApiWatchCache> logger)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _store = store;
        _timeProvider = timeProvider;
        _logger = logger;
        foreach (ResourceInfo resource in catalog.Resources.Where(r => !r.IsVirtual))
        {
            string prefix = StorageKeys.ResourcePrefix(resource);
            if (_resources.TryAdd(prefix, resource))
            {
                _buckets[prefix] = new ResourceBucket();
            }
        }
    }

    /// <summary>Completes once the first full list is loaded.</summary>
    public Task Ready => _ready.Task;

    /// <summary>The store revision the cache reflects.</summary>
    public long Revision => Interlocked.Read(ref _revision);

    public ResourceBucket Bucket(ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return _buckets.TryGetValue(StorageKeys.ResourcePrefix(resource), out ResourceBucket? bucket)
            ? bucket
            : throw new Machinery.Errors.StatusException(404, "NotFound", $"the server could not find the requested resource ({resource.QualifiedName})");
    }

    /// <summary>
    /// Starts caching a resource served at run time (a custom resource): lists its objects at the revision the cache has
    /// reached, then keeps them current. Returns false at once when the resource's key space is already cached.
    /// </summary>
    public async Task<bool> AddResourceAsync(ResourceInfo resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        string prefix = StorageKeys.ResourcePrefix(resource);
        if (_buckets.ContainsKey(prefix))
        {
            return false;
        }

        await _applyGate.WaitAsync(cancellationToken);
        try
        {
            if (_buckets.ContainsKey(prefix))
            {
                return false;
            }

            var bucket = new ResourceBucket();
            if (_ready.Task.IsCompleted)
            {
                long revision = Revision;
                var objects = new List<CachedObject>();
                string? after = null;
                while (true)
                {
                    ListResult page = await _store.ListAsync(prefix, new ListOptions(revision, ListPage, after), cancellationToken);
                    objects.AddRange(page.Items.Select(item => Cache(resource, item.Key, item.Value.Span, item.ModRevision)));
                    if (!page.More || page.Items.Count == 0)
                    {
                        break;
                    }

                    after = page.Items[^1].Key;
                }

                bucket.Reset(objects, revision);
            }

            // Before the first load the bucket stays empty; the load fills it with everything else.
            _resources[prefix] = resource;
            _buckets[prefix] = bucket;
            return true;
        }
        finally
        {
            _applyGate.Release();
        }
    }

    /// <summary>Stops caching a resource no longer served; its watchers end (clients see the stream close).</summary>
    public async Task RemoveResourceAsync(ResourceInfo resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        string prefix = StorageKeys.ResourcePrefix(resource);
        await _applyGate.WaitAsync(cancellationToken);
        try
        {
            _resources.TryRemove(prefix, out _);
            if (_buckets.TryRemove(prefix, out ResourceBucket? bucket))
            {
                bucket.Retire();
            }
        }
        finally
        {
            _applyGate.Release();
        }
    }

    /// <summary>Per stored resource, how many objects the cache holds and how many watchers are attached.</summary>
    public IEnumerable<WatchCacheStatistics> Statistics()
    {
        foreach ((string prefix, ResourceBucket bucket) in _buckets)
        {
            (long json, long approximate) = bucket.Size;
            yield return new WatchCacheStatistics(_resources[prefix], bucket.Count, bucket.WatcherCount, json, approximate);
        }
    }

    /// <summary>Waits until the cache reflects at least <paramref name="revision"/> (what a consistent read needs).</summary>
    public async Task WaitForRevisionAsync(long revision, CancellationToken cancellationToken)
    {
        await Ready.WaitAsync(cancellationToken);
        while (Revision < revision)
        {
            Task advanced;
            lock (_signalLock)
            {
                advanced = _advanced.Task;
            }

            if (Revision >= revision)
            {
                break;
            }

            await advanced.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Waits until the cache reflects everything the store has committed so far.</summary>
    public async Task SyncAsync(CancellationToken cancellationToken) =>
        await WaitForRevisionAsync(await _store.GetCurrentRevisionAsync(cancellationToken), cancellationToken);

    /// <summary>Builds the cached form of a stored object (its JSON with the resourceVersion set).</summary>
    public static CachedObject ToCached(ResourceInfo resource, string key, ReadOnlySpan<byte> stored, long revision, StringPool? pool = null)
    {
        JsonObject item = JsonNode.Parse(stored)?.AsObject() ?? throw new JsonException($"stored value of {key} is not an object");
        JsonObject metadata = item["metadata"] as JsonObject ?? [];
        item["metadata"] ??= metadata;
        metadata["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        CompactMap labels = CompactMap.Empty;
        if (metadata["labels"] is JsonObject { Count: > 0 } labelObject)
        {
            string[] keys = new string[labelObject.Count];
            string[] values = new string[labelObject.Count];
            int i = 0;
            foreach (KeyValuePair<string, JsonNode?> label in labelObject)
            {
                keys[i] = Share(pool, label.Key);
                values[i++] = Share(pool, label.Value?.GetValue<string>() ?? string.Empty);
            }

            labels = new CompactMap(keys, values);
        }

        string? ns = metadata["namespace"]?.GetValue<string>();
        return new CachedObject(
            key,
            ns is null ? null : Share(pool, ns),
            revision,
            JsonSerializer.SerializeToUtf8Bytes(item),
            labels,
            SelectableFields.Extract(resource, item, pool));
    }

    private static string Share(StringPool? pool, string value) => pool is null ? value : pool.Share(value);

    private CachedObject Cache(ResourceInfo resource, string key, ReadOnlySpan<byte> stored, long revision) => ToCached(resource, key, stored, revision, _pool);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                long revision = await LoadAsync(stoppingToken);
                await foreach (WatchEvent change in _store.WatchAsync("/", revision, stoppingToken))
                {
                    await _applyGate.WaitAsync(stoppingToken);
                    try
                    {
                        Apply(change);
                    }
                    finally
                    {
                        _applyGate.Release();
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (CompactedException ex)
            {
                LogRelist(_logger, ex.Message);
            }
            catch (StoreException ex)
            {
                LogStoreFailed(_logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), _timeProvider, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        foreach (ResourceBucket bucket in _buckets.Values)
        {
            bucket.CloseAll();
        }
    }

    private async Task<long> LoadAsync(CancellationToken cancellationToken)
    {
        await _applyGate.WaitAsync(cancellationToken);
        try
        {
            return await LoadLockedAsync(cancellationToken);
        }
        finally
        {
            _applyGate.Release();
        }
    }

    private async Task<long> LoadLockedAsync(CancellationToken cancellationToken)
    {
        var loaded = _buckets.Keys.ToDictionary(k => k, _ => new List<CachedObject>(), StringComparer.Ordinal);
        long revision = 0;
        string? after = null;
        while (true)
        {
            ListResult page = await _store.ListAsync("/", new ListOptions(revision, ListPage, after), cancellationToken);
            revision = page.Revision;
            foreach (KeyValue item in page.Items)
            {
                if (StorageKeys.PrefixOf(item.Key) is { } prefix && _resources.TryGetValue(prefix, out ResourceInfo? resource))
                {
                    loaded[prefix].Add(Cache(resource, item.Key, item.Value.Span, item.ModRevision));
                }
            }

            if (!page.More || page.Items.Count == 0)
            {
                break;
            }

            after = page.Items[^1].Key;
        }

        foreach ((string prefix, List<CachedObject> objects) in loaded)
        {
            _buckets[prefix].Reset(objects, revision);
        }

        Advance(revision);
        _ready.TrySetResult();
        int count = loaded.Values.Sum(l => l.Count);
        LogLoaded(_logger, count, revision);
        return revision;
    }

    private void Apply(WatchEvent change)
    {
        string key = change.Current.Key;
        if (StorageKeys.PrefixOf(key) is { } prefix && _resources.TryGetValue(prefix, out ResourceInfo? resource))
        {
            try
            {
                // Without a previous value (the encrypting store could not open it) the cached object stands in for it.
                CachedObject? previous = change.Previous is { } p ? Cache(resource, key, p.Value.Span, p.ModRevision)
                    : change.Type == WatchEventType.Created ? null : _buckets[prefix].Get(key);
                if (change.Type == WatchEventType.Deleted && previous is null)
                {
                    // Deleting an object the cache never held (it was unreadable): nothing to remove or to tell watchers.
                    Advance(change.Revision);
                    return;
                }

                CachedObject current = change.Type == WatchEventType.Deleted
                    ? previous! with { Revision = change.Revision, Json = WithResourceVersion(previous!.Json, change.Revision) }
                    : Cache(resource, key, change.Current.Value.Span, change.Revision);
                _buckets[prefix].Apply(new CacheEvent(change.Type, current, previous));
            }
            catch (JsonException ex)
            {
                LogUnreadable(_logger, key, ex);
            }
        }

        Advance(change.Revision);
    }

    private void Advance(long revision)
    {
        Interlocked.Exchange(ref _revision, revision);
        TaskCompletionSource advanced;
        lock (_signalLock)
        {
            advanced = _advanced;
            _advanced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        advanced.TrySetResult();
    }

    public override void Dispose()
    {
        base.Dispose();
        _applyGate.Dispose();
    }

    private static byte[] WithResourceVersion(byte[] json, long revision)
    {
        JsonObject item = JsonNode.Parse(json)!.AsObject();
        item["metadata"]!["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        return JsonSerializer.SerializeToUtf8Bytes(item);
    }
}
