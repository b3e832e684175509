using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Json;
using Skiff.Store;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// Upstream's ResourceQuota plugin, the last validating one. A create (or an update of a Service or claim that grows its
/// usage) is checked against every ResourceQuota of its namespace whose status.hard names a resource the object uses, and
/// the usage is charged to the quota's status.used in the same request with a compare-and-swap on the quota, so two
/// concurrent creates cannot both take the last unit. Releasing usage on delete is the resource quota controller's job,
/// which also recounts what an admitted but never stored object was charged. The namespace's quotas come from
/// <see cref="CacheOrStore.ListAsync{T}"/> (the watch cache; the store only when the cache holds none for the namespace,
/// upstream's live lookup), and a refusal is confirmed against the stored quota, so cache lag never refuses.
/// </summary>
internal sealed partial class ResourceQuotaAdmission(CacheOrStore reads, ILogger<ResourceQuotaAdmission> logger) : IValidatingAdmissionPlugin
{
    private readonly ResourceInfo _quotas = reads.Resource(string.Empty, "resourcequotas");

    // A charge that loses a CAS race re-reads the quota and checks again; this many losses in a row is an overloaded quota.
    private const int MaxAttempts = 32;

    public string Name => "ResourceQuota";

    public async Task ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (!Handles(attributes) || attributes.Object is not { } item)
        {
            return;
        }

        List<V1ResourceQuota> quotas = await reads.ListAsync<V1ResourceQuota>(_quotas, attributes.Namespace, cancellationToken);
        if (quotas.Count == 0)
        {
            return;
        }

        Dictionary<string, ResourceQuantity> delta = QuotaEvaluator.Usage(attributes.Resource, item, attributes.Context.TimeProvider.GetUtcNow());
        if (attributes.Operation == AdmissionOperation.Update && attributes.OldObject is { } old)
        {
            Dictionary<string, ResourceQuantity> before = QuotaEvaluator.Usage(attributes.Resource, old, attributes.Context.TimeProvider.GetUtcNow());
            delta = delta
                .Select(u => (u.Key, Value: u.Value.ToDecimal() - (before.TryGetValue(u.Key, out ResourceQuantity? b) ? b.ToDecimal() : 0), u.Value.Format))
                .Where(u => u.Value > 0)
                .ToDictionary(u => u.Key, u => new ResourceQuantity(u.Value, 0, u.Format), StringComparer.Ordinal);
        }

        var charged = new List<string>();
        foreach (V1ResourceQuota quota in quotas)
        {
            // Check every quota before charging any, so the common refusal leaves every quota as it was.
            string key = StorageKeys.Object(_quotas, attributes.Namespace, quota.Metadata.Name);
            if (await PrecheckAsync(attributes, quota, key, delta, cancellationToken) is { Count: > 0 })
            {
                charged.Add(key);
            }
        }

        if (attributes.DryRun)
        {
            return;
        }

        foreach (string key in charged)
        {
            await ChargeAsync(attributes, key, delta, cancellationToken);
        }
    }

    /// <summary>Checks one quota; a refusal is checked again against the stored quota, as the copy read may be behind it.</summary>
    private static async Task<Dictionary<string, ResourceQuantity>> PrecheckAsync(
        AdmissionAttributes attributes, V1ResourceQuota quota, string key, Dictionary<string, ResourceQuantity> delta, CancellationToken cancellationToken)
    {
        try
        {
            return Check(attributes, quota, delta);
        }
        catch (StatusException)
        {
            KeyValue? stored = await attributes.Context.Store.GetAsync(key, 0, cancellationToken);
            return stored is null ? [] : Check(attributes, StoredObjects.Read<V1ResourceQuota>(stored), delta);
        }
    }

    private static bool Handles(AdmissionAttributes attributes) =>
        attributes.Subresource is null
        && attributes.Resource.Namespaced
        && !string.IsNullOrEmpty(attributes.Namespace)
        && (attributes.Operation == AdmissionOperation.Create
            || (attributes.Operation == AdmissionOperation.Update && attributes.Resource.Group.Length == 0 && attributes.Resource.Plural is "services" or "persistentvolumeclaims"));

    /// <summary>
    /// Refuses the object when the quota is exceeded, or cannot yet say (no usage counted), or wants container requests the
    /// pod lacks; returns what the object charges to this quota (empty when the quota does not measure it).
    /// </summary>
    private static Dictionary<string, ResourceQuantity> Check(AdmissionAttributes attributes, V1ResourceQuota quota, Dictionary<string, ResourceQuantity> delta)
    {
        IKubernetesObject<V1ObjectMeta> item = attributes.Object!;
        if (!QuotaEvaluator.Matches(quota, item))
        {
            return [];
        }

        // As upstream, status.hard (copied from spec by the controller) is what binds: a quota it has not seen yet binds nothing.
        IDictionary<string, ResourceQuantity> hard = quota.Status?.Hard ?? new Dictionary<string, ResourceQuantity>();
        IDictionary<string, ResourceQuantity> used = quota.Status?.Used ?? new Dictionary<string, ResourceQuantity>();
        List<string> restricted = [.. hard.Keys.Where(r => QuotaEvaluator.Measures(attributes.Resource, r)).Order(StringComparer.Ordinal)];
        string name = quota.Metadata?.Name ?? string.Empty;
        if (QuotaEvaluator.MissingContainerResources(restricted, item) is { } missing)
        {
            throw StoredObjects.Forbidden(attributes, $"failed quota: {name}: {missing}");
        }

        if (restricted.Any(r => !used.ContainsKey(r)))
        {
            throw StoredObjects.Forbidden(attributes, $"status unknown for quota: {name}, resources: {string.Join(",", restricted)}");
        }

        Dictionary<string, ResourceQuantity> requested = delta.Where(d => hard.ContainsKey(d.Key)).ToDictionary(StringComparer.Ordinal);
        List<string> exceeded = [.. requested.Keys.Where(r => QuotaEvaluator.Add(used.TryGetValue(r, out ResourceQuantity? u) ? u : null, requested[r]).ToDecimal() > hard[r].ToDecimal())];
        if (exceeded.Count > 0)
        {
            throw StoredObjects.Forbidden(
                attributes,
                $"exceeded quota: {name}, requested: {QuotaEvaluator.Print(requested.Where(r => exceeded.Contains(r.Key)))}, "
                + $"used: {QuotaEvaluator.Print(used.Where(r => exceeded.Contains(r.Key)))}, limited: {QuotaEvaluator.Print(hard.Where(r => exceeded.Contains(r.Key)))}");
        }

        return requested;
    }

    /// <summary>Adds the object's usage to the quota's status.used with a compare-and-swap, checking again after every lost race.</summary>
    private async Task ChargeAsync(AdmissionAttributes attributes, string key, Dictionary<string, ResourceQuantity> delta, CancellationToken cancellationToken)
    {
        IRevisionedStore store = attributes.Context.Store;
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            KeyValue? stored = await store.GetAsync(key, 0, cancellationToken);
            if (stored is null)
            {
                return;
            }

            V1ResourceQuota quota = StoredObjects.Read<V1ResourceQuota>(stored);
            Dictionary<string, ResourceQuantity> requested = Check(attributes, quota, delta);
            if (requested.Count == 0)
            {
                return;
            }

            var used = new Dictionary<string, ResourceQuantity>(quota.Status?.Used ?? new Dictionary<string, ResourceQuantity>(), StringComparer.Ordinal);
            foreach ((string resource, ResourceQuantity value) in requested)
            {
                used[resource] = QuotaEvaluator.Add(used.TryGetValue(resource, out ResourceQuantity? current) ? current : null, value);
            }

            // Only status.used changes; the rest of the stored object is kept byte for byte as JSON.
            JsonObject json = JsonNode.Parse(stored.Value.Span)?.AsObject() ?? [];
            JsonObject status = json["status"] as JsonObject ?? [];
            json["status"] = status;
            status["used"] = JsonSerializer.SerializeToNode(used, SkiffJson.Options);
            WriteResult result = await store.UpdateAsync(key, ObjectCodec.ToStored(json), stored.ModRevision, null, cancellationToken);
            if (result.Status == WriteStatus.Ok)
            {
                LogCharged(logger, attributes.Namespace, quota.Metadata?.Name, attributes.Resource.Plural, attributes.Name);
                return;
            }

            if (result.Status == WriteStatus.NotFound)
            {
                return;
            }

            LogConflict(logger, attributes.Namespace, quota.Metadata?.Name, attempt + 1);
        }

        throw new StatusException(409, "Conflict", $"Operation cannot be fulfilled on resourcequotas \"{key[(key.LastIndexOf('/') + 1)..]}\": too many concurrent writes charging the quota, please retry");
    }
}
