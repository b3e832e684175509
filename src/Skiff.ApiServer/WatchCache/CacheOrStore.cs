using System.Collections.Concurrent;
using System.Text.Json;
using Skiff.ApiServer.Admission;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Json;
using Skiff.Store;

namespace Skiff.ApiServer.WatchCache;

/// <summary>
/// Reads for checks on the request path (token lookups, admission plugins): the watch cache first, the store only on a miss,
/// as upstream's listers fall back to a live lookup. An object created a moment ago that the cache has not seen yet is still
/// found; the price of a hit is a possibly slightly older copy, the same as upstream's informers give.
/// </summary>
internal sealed class CacheOrStore(ApiWatchCache cache, IRevisionedStore store, ResourceCatalog catalog)
{
    /// <summary>List prefixes the store found empty, with the cache bucket's version at the time (read before the store list).</summary>
    private readonly ConcurrentDictionary<string, long> _emptyAt = new(StringComparer.Ordinal);

    /// <summary>A built-in resource, for callers that look it up once; throws when the catalog lacks it.</summary>
    public ResourceInfo Resource(string group, string plural) =>
        catalog.Find(group, "v1", plural) ?? throw new InvalidOperationException($"{ApiErrors.Qualified(group, plural)} is not in the catalog");

    /// <summary>
    /// The object's JSON: the cached copy when the cache is ready, holds it and <paramref name="accept"/> (if given) takes it;
    /// otherwise one store GET. Null when neither has it.
    /// </summary>
    public async Task<ReadOnlyMemory<byte>?> GetJsonAsync(ResourceInfo resource, string? ns, string name, Func<byte[], bool>? accept, CancellationToken cancellationToken)
    {
        string key = StorageKeys.Object(resource, ns, name);
        if (cache.Ready.IsCompletedSuccessfully && cache.Bucket(resource).Get(key) is { } cached && (accept is null || accept(cached.Json)))
        {
            return cached.Json;
        }

        KeyValue? stored = await store.GetAsync(key, 0, cancellationToken);
        return stored?.Value;
    }

    /// <summary>The object, from the cache or (on a miss) the store; null when neither has it.</summary>
    public Task<T?> GetAsync<T>(ResourceInfo resource, string? ns, string name, CancellationToken cancellationToken)
        where T : class => GetAsync<T>(resource, ns, name, null, cancellationToken);

    /// <summary>The object, from the cache when <paramref name="accept"/> (if given) takes the cached copy, else from the store.</summary>
    public async Task<T?> GetAsync<T>(ResourceInfo resource, string? ns, string name, Func<byte[], bool>? accept, CancellationToken cancellationToken)
        where T : class
    {
        ReadOnlyMemory<byte>? json = await GetJsonAsync(resource, ns, name, accept, cancellationToken);
        return json is { } found ? Deserialize<T>(found, name) : null;
    }

    /// <summary>
    /// Every object of the resource in <paramref name="ns"/> (all, for cluster-scoped ones), from the cache; when the cache
    /// has none (not loaded yet, or the first object is not in it yet), from the store, as upstream's LimitRanger looks up.
    /// </summary>
    public async Task<List<T>> ListAsync<T>(ResourceInfo resource, string? ns, CancellationToken cancellationToken)
    {
        string prefix = StorageKeys.ListPrefix(resource, ns);
        long version = -1;
        if (cache.Ready.IsCompletedSuccessfully)
        {
            ResourceBucket bucket = cache.Bucket(resource);
            version = bucket.Version;
            if (bucket.Snapshot(prefix, null) is { Count: > 0 } cached)
            {
                return [.. cached.Select(o => Deserialize<T>(o.Json, o.Name))];
            }

            // The store had none either, and no change reached this resource's cache since: still none (upstream keeps its
            // live lookup's answer for a while too). Most namespaces have no quota or limit range; every create asks.
            if (_emptyAt.TryGetValue(prefix, out long emptyAt) && emptyAt == version)
            {
                return [];
            }
        }

        List<T> stored = [.. (await StoredObjects.ListAsync<T>(store, prefix, cancellationToken)).Select(r => r.Item)];
        if (version >= 0 && stored.Count == 0)
        {
            _emptyAt[prefix] = version;
        }

        return stored;
    }

    private static T Deserialize<T>(ReadOnlyMemory<byte> json, string name) =>
        JsonSerializer.Deserialize<T>(json.Span, SkiffJson.Options) ?? throw ApiErrors.Internal($"stored object {name} is not an object");
}
