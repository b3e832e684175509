using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Informers;
using Skiff.Machinery.Rest;

[assembly: System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Naming", "CA1716", Scope = "namespace", Target = "~N:Skiff.ControlPlane.Controllers.Namespace",
    Justification = "One folder and namespace per kind, named after the kind (STYLE.md §8).")]

namespace Skiff.ControlPlane.Controllers.Namespace;

/// <summary>
/// Upstream's namespace lifecycle controller: once a namespace has a deletionTimestamp, deletes every namespaced object in it
/// (every stored, namespaced resource of the <see cref="ResourceCatalog"/> with list and delete, plus custom resources found
/// through discovery), and
/// when nothing is left removes the <c>kubernetes</c> finalizer through <c>/finalize</c>, after which the API server removes
/// the namespace. Objects that take time to go (pods with a grace period, objects with finalizers) requeue the namespace.
/// </summary>
public sealed partial class NamespaceController : Controller
{
    public const string FinalizerName = "kubernetes";

    /// <summary>How soon to look again while objects are still going away (upstream estimates; a short fixed wait suffices).</summary>
    private static readonly TimeSpan s_recheck = TimeSpan.FromSeconds(1);

    private readonly IKubernetes _client;
    private readonly ResourceInfo[] _resources;
    private readonly HashSet<string> _builtInGroups;
    private readonly ILogger<NamespaceController> _logger;
    private SharedInformer<V1Namespace>? _namespaces;

    public NamespaceController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        TimeProvider timeProvider,
        ILogger<NamespaceController> logger)
        : base("namespace", 2, timeProvider, logger)
    {
        _client = client;
        _logger = logger;
        _resources = [.. ResourceCatalog.BuiltIn.Resources.Where(r =>
            r.Namespaced && !r.IsVirtual && r.Verbs.Contains("list") && r.Verbs.Contains("delete"))];
        _builtInGroups = [.. ResourceCatalog.BuiltIn.GroupVersions.Select(gv => gv.Group)];
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _namespaces = informers.Namespaces();
        _namespaces.AddEventHandler(new InformerHandler<V1Namespace>(
            onAdd: ns =>
            {
                if (ns.Metadata?.DeletionTimestamp is not null)
                {
                    Enqueue(ns);
                }
            },
            onUpdate: (_, ns) =>
            {
                if (ns.Metadata?.DeletionTimestamp is not null)
                {
                    Enqueue(ns);
                }
            }));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        V1Namespace? ns = _namespaces?.Cache.Get(null, key);
        if (ns?.Metadata?.DeletionTimestamp is null)
        {
            return;
        }

        string name = ns.Metadata.Name;
        if (ns.Spec?.Finalizers is not { } finalizers || !finalizers.Contains(FinalizerName))
        {
            return;
        }

        var failures = new List<string>();
        var remaining = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var finalizersLeft = new SortedDictionary<string, int>(StringComparer.Ordinal);
        IReadOnlyList<ResourceInfo> custom = [];
        try
        {
            custom = await DiscoverCustomResourcesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is HttpRequestException or InvalidOperationException or JsonException)
        {
            failures.Add($"discovery: {failure.Message}");
        }

        foreach (ResourceInfo resource in _resources.Concat(custom))
        {
            try
            {
                IReadOnlyList<RemainingObject> left = await DeleteContentAsync(resource, name, cancellationToken).ConfigureAwait(false);
                if (left.Count > 0)
                {
                    remaining[resource.QualifiedName] = left.Count;
                }

                foreach (string finalizer in left.SelectMany(o => o.Finalizers))
                {
                    finalizersLeft[finalizer] = finalizersLeft.GetValueOrDefault(finalizer) + 1;
                }
            }
            catch (Exception failure) when (failure is HttpRequestException or InvalidOperationException or JsonException)
            {
                // Keep deleting the other resources; the failure shows in the conditions and the namespace is retried.
                failures.Add($"{resource.QualifiedName}: {failure.Message}");
            }
        }

        ns = await UpdateConditionsAsync(ns, DeletionConditions(failures, remaining, finalizersLeft), cancellationToken).ConfigureAwait(false);
        if (failures.Count > 0)
        {
            throw new InvalidOperationException($"Deleting the content of namespace {name} failed: {string.Join("; ", failures)}");
        }

        if (remaining.Count > 0)
        {
            int count = remaining.Values.Sum();
            LogWaiting(_logger, name, count);
            Queue.AddAfter(key, s_recheck);
            return;
        }

        // The cached object is shared: finalize a copy (of the status update's result, so its resourceVersion is current).
        V1Namespace finalized = KubernetesJson.Deserialize<V1Namespace>(KubernetesJson.Serialize(ns));
        finalized.Spec ??= new V1NamespaceSpec();
        finalized.Spec.Finalizers = [.. finalizers.Where(f => f != FinalizerName)];
        try
        {
            await _client.CoreV1.ReplaceNamespaceFinalizeAsync(finalized, name, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogFinalized(_logger, name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone: nothing left to do.
        }
    }

    /// <summary>Deletes every object of one resource in the namespace and returns how many are still listed afterwards.</summary>
    private async Task<IReadOnlyList<RemainingObject>> DeleteContentAsync(ResourceInfo resource, string ns, CancellationToken cancellationToken)
    {
        string collection = CollectionPath(resource, ns);
        IReadOnlyList<RemainingObject> objects = await ListAsync(collection, cancellationToken).ConfigureAwait(false);
        if (objects.Count == 0)
        {
            return [];
        }

        foreach (string name in objects.Where(o => !o.Deleting).Select(o => o.Name))
        {
            using HttpResponseMessage response = await SendAsync(
                HttpMethod.Delete, $"{collection}/{Uri.EscapeDataString(name)}", cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is not HttpStatusCode.NotFound && !response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException(
                    $"Deleting {resource.QualifiedName} {ns}/{name} failed with {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
            }
        }

        return await ListAsync(collection, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<RemainingObject>> ListAsync(string collection, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, collection, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Listing {collection} failed with {(int)response.StatusCode}: {body}");
        }

        using var document = JsonDocument.Parse(body);
        if (!document.RootElement.TryGetProperty("items", out JsonElement items) || items.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var objects = new List<RemainingObject>();
        foreach (JsonElement item in items.EnumerateArray())
        {
            if (item.TryGetProperty("metadata", out JsonElement metadata)
                && metadata.TryGetProperty("name", out JsonElement name)
                && name.GetString() is { } value)
            {
                bool deleting = metadata.TryGetProperty("deletionTimestamp", out JsonElement deletion) && deletion.ValueKind == JsonValueKind.String;
                string[] finalizers = metadata.TryGetProperty("finalizers", out JsonElement list) && list.ValueKind == JsonValueKind.Array
                    ? [.. list.EnumerateArray().Select(f => f.GetString()).OfType<string>()]
                    : [];
                objects.Add(new RemainingObject(value, deleting, finalizers));
            }
        }

        return objects;
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, CancellationToken cancellationToken) =>
        RawRest.SendAsync(_client, method, path, null, cancellationToken);

    /// <summary>An object still listed in the namespace: whether it is already being deleted, and what holds it.</summary>
    private sealed record RemainingObject(string Name, bool Deleting, IReadOnlyList<string> Finalizers);

    private static string CollectionPath(ResourceInfo resource, string ns) => RawRest.CollectionPath(resource, ns);
}
