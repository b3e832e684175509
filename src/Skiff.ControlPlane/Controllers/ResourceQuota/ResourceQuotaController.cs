using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Informers;
using Skiff.Machinery.Quota;

namespace Skiff.ControlPlane.Controllers.ResourceQuota;

/// <summary>
/// Keeps every ResourceQuota's status (upstream pkg/controller/resourcequota): status.hard is spec.hard, status.used what the
/// namespace uses of each of those resources. A quota is recalculated when it is added or its spec.hard changes, when an
/// object it counts changes in its namespace, and every five minutes in any case (upstream's full resync), which also
/// catches kinds counted by listing. A change of status alone (the admission plugin's charge) is not recounted at once.
/// </summary>
public sealed partial class ResourceQuotaController : Controller
{
    /// <summary>Upstream's --resource-quota-sync-period.</summary>
    public static readonly TimeSpan ResyncPeriod = TimeSpan.FromMinutes(5);

    private readonly IKubernetes _client;
    private readonly ILogger<ResourceQuotaController> _logger;
    private readonly Dictionary<string, Func<string, int>> _cachedCounts = new(StringComparer.Ordinal);
    private SharedInformer<V1ResourceQuota>? _quotas;
    private SharedInformer<V1Pod>? _pods;
    private SharedInformer<V1Service>? _services;
    private SharedInformer<V1PersistentVolumeClaim>? _claims;

    public ResourceQuotaController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        TimeProvider timeProvider,
        ILogger<ResourceQuotaController> logger,
        int workers = 2)
        : base("resourcequota", workers, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = logger;
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _quotas = informers.ResourceQuotas();
        _pods = informers.Pods();
        _services = informers.Services();
        _claims = informers.PersistentVolumeClaims();
        // As upstream, an update is recounted only when spec.hard changed: the admission plugin charges status.used before the
        // object it admits is stored, and a recount from caches that lack that object would write the charge away again.
        _quotas.AddEventHandler(new InformerHandler<V1ResourceQuota>(
            onAdd: Enqueue,
            onUpdate: (old, q) =>
            {
                if (!SameQuantities(old.Spec?.Hard, q.Spec?.Hard ?? new Dictionary<string, ResourceQuantity>()))
                {
                    Enqueue(q);
                }
            }));
        _cachedCounts.Clear();
        Track("pods", _pods);
        Track("services", _services);
        Track("persistentvolumeclaims", _claims);
        Track("resourcequotas", _quotas);
        Track("configmaps", QuotaListWatch.ConfigMaps(informers));
        Track("secrets", QuotaListWatch.Secrets(informers));
        Track("replicationcontrollers", QuotaListWatch.ReplicationControllers(informers));
        Track("deployments.apps", informers.Deployments());
        Track("replicasets.apps", informers.ReplicaSets());
        Track("statefulsets.apps", informers.StatefulSets());
        Track("daemonsets.apps", informers.DaemonSets());
        Track("jobs.batch", informers.Jobs());
        Track("cronjobs.batch", informers.CronJobs());
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_quotas is null || _pods is null || _services is null || _claims is null || !_quotas.Cache.TryGet(key, out V1ResourceQuota? quota))
        {
            return;
        }

        string ns = quota.Metadata.NamespaceProperty;
        Dictionary<string, int?> listed = await CountUncachedAsync(ns, quota, cancellationToken).ConfigureAwait(false);
        var inputs = new QuotaUsage.Inputs(
            _pods.Cache.ByIndex(CacheIndexers.Namespace, ns),
            _services.Cache.ByIndex(CacheIndexers.Namespace, ns),
            _claims.Cache.ByIndex(CacheIndexers.Namespace, ns),
            resource => _cachedCounts.TryGetValue(resource, out Func<string, int>? count) ? count(ns) : listed.GetValueOrDefault(resource));
        Dictionary<string, ResourceQuantity> used = QuotaUsage.Compute(quota, inputs, TimeProvider.GetUtcNow());
        IDictionary<string, ResourceQuantity> hard = quota.Spec?.Hard ?? new Dictionary<string, ResourceQuantity>();
        if (!SameQuantities(quota.Status?.Hard, hard) || !SameQuantities(quota.Status?.Used, used))
        {
            V1ResourceQuota update = ReplicaSetSync.Clone(quota);
            update.Status = new V1ResourceQuotaStatus { Hard = new Dictionary<string, ResourceQuantity>(hard), Used = used };
            await _client.CoreV1.ReplaceNamespacedResourceQuotaStatusAsync(update, quota.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogUpdated(_logger, ns, quota.Metadata.Name, used.Count);
        }

        Queue.AddAfter(key, ResyncPeriod);
    }

    private void Track<T>(string resource, SharedInformer<T> informer)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        _cachedCounts[resource] = ns => informer.Cache.ByIndex(CacheIndexers.Namespace, ns).Count;
        if (!ReferenceEquals(informer, _quotas))
        {
            informer.AddEventHandler(new InformerHandler<T>(onAdd: EnqueueQuotasOf, onUpdate: (_, o) => EnqueueQuotasOf(o), onDelete: EnqueueQuotasOf));
        }
    }

    private void EnqueueQuotasOf(IKubernetesObject<V1ObjectMeta> obj)
    {
        if (_quotas is null)
        {
            return;
        }

        foreach (V1ResourceQuota quota in _quotas.Cache.ByIndex(CacheIndexers.Namespace, obj.Metadata?.NamespaceProperty ?? string.Empty))
        {
            Enqueue(quota);
        }
    }

    // count/<resource>.<group> of a kind no informer holds: list the namespace's objects of it and count them.
    private async Task<Dictionary<string, int?>> CountUncachedAsync(string ns, V1ResourceQuota quota, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int?>(StringComparer.Ordinal);
        foreach (string resource in quota.Spec?.Hard?.Keys ?? [])
        {
            if (!resource.StartsWith("count/", StringComparison.Ordinal))
            {
                continue;
            }

            string qualified = resource["count/".Length..];
            if (_cachedCounts.ContainsKey(qualified) || counts.ContainsKey(qualified))
            {
                continue;
            }

            int dot = qualified.IndexOf('.', StringComparison.Ordinal);
            (string plural, string group) = dot < 0 ? (qualified, string.Empty) : (qualified[..dot], qualified[(dot + 1)..]);
            ResourceInfo? info = ResourceCatalog.BuiltIn.Resources.FirstOrDefault(r => r.Group == group && r.Plural == plural && r.Namespaced && r.Verbs.Contains("list"));
            counts[qualified] = info is null ? null : await ListCountAsync(info, ns, cancellationToken).ConfigureAwait(false);
        }

        return counts;
    }

    private async Task<int?> ListCountAsync(ResourceInfo resource, string ns, CancellationToken cancellationToken)
    {
        string prefix = string.IsNullOrEmpty(resource.Group) ? $"api/{resource.Version}" : $"apis/{resource.Group}/{resource.Version}";
        var kubernetes = (Kubernetes)_client;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(kubernetes.BaseUri, $"{prefix}/namespaces/{Uri.EscapeDataString(ns)}/{resource.Plural}"));
        request.Headers.Accept.ParseAdd("application/json");
        using HttpResponseMessage response = await kubernetes.HttpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        using JsonDocument list = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
        return list.RootElement.TryGetProperty("items", out JsonElement items) && items.ValueKind == JsonValueKind.Array ? items.GetArrayLength() : 0;
    }

    private static bool SameQuantities(IDictionary<string, ResourceQuantity>? a, IDictionary<string, ResourceQuantity> b) =>
        (a?.Count ?? 0) == b.Count && b.All(pair => a!.TryGetValue(pair.Key, out ResourceQuantity? value) && value?.ToString() == pair.Value?.ToString());
}
