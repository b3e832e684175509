using System.Text.Json;
using k8s.Models;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>
/// The webhooks of every MutatingWebhookConfiguration and ValidatingWebhookConfiguration, read from the watch cache (never
/// the store) and kept compiled. Each request compares the cached configurations' keys and revisions with the snapshot's and
/// recompiles only when one changed, so a new configuration applies to the next request the cache has seen it for. Until
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

        List<CachedObject> objects = _cache.Bucket(resource).Snapshot(string.Empty, null);
        Snapshot current = Volatile.Read(ref slot);
        if (current.IsOf(objects))
        {
            return current.Webhooks;
        }

        var webhooks = new List<CompiledWebhook>();
        // The bucket is keyed by name (cluster-scoped), so key order is upstream's order by configuration name.
        foreach (CachedObject cached in objects)
        {
            (string name, IEnumerable<WebhookDefinition> definitions) = read(cached.Json);
            webhooks.AddRange(definitions.Select((definition, index) => CompiledWebhook.Compile(name, index, definition)));
        }

        var fresh = new Snapshot([.. objects.Select(o => (o.Key, o.Revision))], webhooks);
        // Two requests may compile at once; both results are equal, so whichever is stored last is right.
        Volatile.Write(ref slot, fresh);
        return webhooks;
    }

    /// <summary>Compiled webhooks and the cached configurations (key and revision) they were compiled from.</summary>
    private sealed record Snapshot((string Key, long Revision)[] Sources, IReadOnlyList<CompiledWebhook> Webhooks)
    {
        public static readonly Snapshot Empty = new([], []);

        public bool IsOf(List<CachedObject> objects)
        {
            if (objects.Count != Sources.Length)
            {
                return false;
            }

            for (int i = 0; i < objects.Count; i++)
            {
                if (objects[i].Key != Sources[i].Key || objects[i].Revision != Sources[i].Revision)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
