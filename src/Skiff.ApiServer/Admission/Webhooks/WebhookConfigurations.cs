using System.Text.Json;
using k8s.Models;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>
/// The webhooks of every MutatingWebhookConfiguration and ValidatingWebhookConfiguration, read from the watch cache (never
/// the store) and kept compiled. Each request compares the bucket's <see cref="ResourceBucket.Version"/> with the snapshot's
/// and recompiles only when it moved, so a new configuration applies to the next request the cache has seen it for. Until
/// the cache has loaded, there are no webhooks (the server's own bootstrap writes come first). Webhooks are ordered by
/// configuration name, then by position, as upstream orders them.
/// </summary>
internal sealed class WebhookConfigurations
{
    private readonly ApiWatchCache _cache;
    private readonly ResourceInfo _mutatingResource;
    private readonly ResourceInfo _validatingResource;
    private Snapshot _mutating = Snapshot.Empty;
    private Snapshot _validating = Snapshot.Empty;

    public WebhookConfigurations(ApiWatchCache cache, ResourceCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _cache = cache;
        _mutatingResource = catalog.Find("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations")
            ?? throw new InvalidOperationException("mutatingwebhookconfigurations are not in the catalog");
        _validatingResource = catalog.Find("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations")
            ?? throw new InvalidOperationException("validatingwebhookconfigurations are not in the catalog");
    }

    public IReadOnlyList<CompiledWebhook> Mutating() => Current(ref _mutating, _mutatingResource, json =>
    {
        V1MutatingWebhookConfiguration? configuration = JsonSerializer.Deserialize<V1MutatingWebhookConfiguration>(json, SkiffJson.Options);
        return (configuration?.Metadata?.Name ?? string.Empty, (configuration?.Webhooks ?? []).Select(WebhookDefinition.From));
    });

    public IReadOnlyList<CompiledWebhook> Validating() => Current(ref _validating, _validatingResource, json =>
    {
        V1ValidatingWebhookConfiguration? configuration = JsonSerializer.Deserialize<V1ValidatingWebhookConfiguration>(json, SkiffJson.Options);
        return (configuration?.Metadata?.Name ?? string.Empty, (configuration?.Webhooks ?? []).Select(WebhookDefinition.From));
    });

    private IReadOnlyList<CompiledWebhook> Current(ref Snapshot slot, ResourceInfo resource, Func<byte[], (string Name, IEnumerable<WebhookDefinition> Webhooks)> read)
    {
        if (!_cache.Ready.IsCompleted)
        {
            return [];
        }

        ResourceBucket bucket = _cache.Bucket(resource);
        Snapshot current = Volatile.Read(ref slot);
        // The version only grows, so one read before the objects never claims more than they hold.
        long version = bucket.Version;
        if (current.Version == version)
        {
            return current.Webhooks;
        }

        List<CachedObject> objects = bucket.Snapshot(string.Empty, null);
        var webhooks = new List<CompiledWebhook>();
        // The bucket is keyed by name (cluster-scoped), so key order is upstream's order by configuration name.
        foreach (CachedObject cached in objects)
        {
            (string name, IEnumerable<WebhookDefinition> definitions) = read(cached.Json);
            webhooks.AddRange(definitions.Select((definition, index) => CompiledWebhook.Compile(name, index, definition)));
        }

        var fresh = new Snapshot(version, webhooks);
        // Two requests may compile at once; should the older one be stored last, its version is behind the bucket's and the
        // next request compiles again.
        Volatile.Write(ref slot, fresh);
        return webhooks;
    }

    /// <summary>Compiled webhooks and the bucket version they were compiled at.</summary>
    private sealed record Snapshot(long Version, IReadOnlyList<CompiledWebhook> Webhooks)
    {
        public static readonly Snapshot Empty = new(-1, []);
    }
}
