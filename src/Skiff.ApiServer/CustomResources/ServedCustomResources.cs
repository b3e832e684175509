using System.Collections.Immutable;
using System.Text.Json;
using k8s.Models;
using Skiff.ApiServer.Tables;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// The custom resources this API server serves, by CRD. Serving a CRD starts caching its objects, then adds its served
/// versions to the <see cref="ResourceCatalog"/> (from then on requests, discovery and OpenAPI see it); stopping does the
/// reverse. Readers never lock: lookups read one immutable map, swapped whole on every change.
/// </summary>
internal sealed class ServedCustomResources : IDisposable
{
    private static readonly string[] s_verbs = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"];

    private readonly ResourceCatalog _catalog;
    private readonly ApiWatchCache _cache;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lock _reconcileLock = new();
    private readonly Dictionary<string, long> _reconciled = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource> _reconcileSignals = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _terminating = new(StringComparer.Ordinal);
    private volatile State _state = new(
        ImmutableDictionary<(string, string, string), ServedCustomResource>.Empty,
        ImmutableDictionary<string, (string Fingerprint, ImmutableArray<ServedCustomResource> Versions)>.Empty.WithComparers(StringComparer.Ordinal));

    public ServedCustomResources(ResourceCatalog catalog, ApiWatchCache cache)
    {
        _catalog = catalog;
        _cache = cache;
    }

    /// <summary>True when custom resources can be served (the catalog is extensible).</summary>
    public bool Enabled => _catalog.IsExtensible;

    /// <summary>The served version behind a catalog entry, or null (a built-in resource, or one no longer served).</summary>
    public ServedCustomResource? Find(ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return resource.IsCustom && _state.ByResource.TryGetValue((resource.Group, resource.Version, resource.Plural), out ServedCustomResource? served) ? served : null;
    }

    /// <summary>The served version for an object's apiVersion and kind, or null.</summary>
    public ServedCustomResource? FindKind(string? apiVersion, string? kind)
    {
        if (apiVersion is null || kind is null || apiVersion.IndexOf('/', StringComparison.Ordinal) is var slash && slash < 0)
        {
            return null;
        }

        ResourceInfo? resource = _catalog.FindKind(apiVersion[..slash], apiVersion[(slash + 1)..], kind);
        return resource is null ? null : Find(resource);
    }

    /// <summary>The names of the CRDs served now.</summary>
    public IReadOnlyList<string> ServedCrdNames => [.. _state.ByCrd.Keys];

    /// <summary>The versions served for a CRD (empty when it is not served).</summary>
    public ImmutableArray<ServedCustomResource> Versions(string crdName) =>
        _state.ByCrd.TryGetValue(crdName, out var entry) ? entry.Versions : [];

    /// <summary>The printer of a custom resource's version; null for built-in resources.</summary>
    public ITablePrinter? PrinterFor(ResourceInfo resource) => Find(resource)?.Printer;

    /// <summary>
    /// The versions a CRD serves with its accepted names (status.acceptedNames): every <c>served</c> version. Empty when
    /// no names are accepted yet.
    /// </summary>
    /// <param name="crd">The CRD.</param>
    /// <param name="previous">The versions served before: a version whose schema is unchanged keeps its compiled schema.</param>
    public static ImmutableArray<ServedCustomResource> VersionsOf(V1CustomResourceDefinition crd, ImmutableArray<ServedCustomResource> previous = default)
    {
        ArgumentNullException.ThrowIfNull(crd);
        V1CustomResourceDefinitionNames? names = crd.Status?.AcceptedNames;
        if (crd.Spec is null || string.IsNullOrEmpty(names?.Plural) || string.IsNullOrEmpty(names.Kind))
        {
            return [];
        }

        string storage = crd.Spec.Versions?.FirstOrDefault(v => v.Storage)?.Name ?? crd.Spec.Versions?.FirstOrDefault()?.Name ?? string.Empty;
        bool namespaced = crd.Spec.Scope != "Cluster";
        var result = ImmutableArray.CreateBuilder<ServedCustomResource>();
        foreach (V1CustomResourceDefinitionVersion version in crd.Spec.Versions ?? [])
        {
            if (!version.Served)
            {
                continue;
            }

            var subresources = new List<string>();
            if (version.Subresources?.Scale is not null)
            {
                subresources.Add("scale");
            }

            if (version.Subresources?.Status is not null)
            {
                subresources.Add("status");
            }

            var resource = new ResourceInfo(
                crd.Spec.Group,
                version.Name,
                names.Kind,
                names.Plural,
                string.IsNullOrEmpty(names.Singular) ? names.Kind.ToLowerInvariant() : names.Singular,
                namespaced,
                s_verbs,
                [.. names.ShortNames ?? []],
                [.. names.Categories ?? []],
                subresources,
                typeof(CustomResource),
                typeof(CustomResourceList))
            {
                ListKind = names.ListKind,
            };
            CustomResourceSchema? schema = previous.IsDefault ? null : previous.FirstOrDefault(p => p.Version.Name == version.Name)?.Schema;
            result.Add(new ServedCustomResource(crd, version, resource, storage, schema));
        }

        return result.ToImmutable();
    }

    /// <summary>
    /// Serves (or re-serves, after a change) a CRD's versions. Objects are cached before the kind appears in the catalog, so a
    /// client that sees it in discovery can list it at once. Returns false when nothing changed. The key space (group and
    /// plural, fixed by the CRD's name) never changes while a CRD is served.
    /// </summary>
    public async Task<bool> ServeAsync(V1CustomResourceDefinition crd, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(crd);
        string name = crd.Metadata.Name;
        if (crd.Spec is null || string.IsNullOrEmpty(crd.Status?.AcceptedNames?.Plural) || string.IsNullOrEmpty(crd.Status.AcceptedNames.Kind)
            || !(crd.Spec.Versions ?? []).Any(v => v.Served))
        {
            return await StopAsync(name, cancellationToken);
        }

        // Served again, so not (or no longer) being deleted: a CRD re-created under the name of a deleted one takes creates.
        _terminating.TryRemove(name, out _);
        string fingerprint = JsonSerializer.Serialize(new object?[] { crd.Spec, crd.Status?.AcceptedNames }, SkiffJson.Options);
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            State state = _state;
            if (state.ByCrd.TryGetValue(name, out var current) && current.Fingerprint == fingerprint)
            {
                return false;
            }

            // Only a changed CRD compiles schemas, and only those of versions whose schema changed.
            ImmutableArray<ServedCustomResource> versions = VersionsOf(crd, current.Versions);

            bool cached = await _cache.AddResourceAsync(versions[0].Resource, cancellationToken);
            ImmutableDictionary<(string, string, string), ServedCustomResource> byResource = Without(state.ByResource, current.Versions);
            foreach (ServedCustomResource version in versions)
            {
                byResource = byResource.SetItem((version.Resource.Group, version.Resource.Version, version.Resource.Plural), version);
            }

            // The lookups first, then the catalog: whoever finds the kind in the catalog also finds its schema.
            _state = new State(byResource, state.ByCrd.SetItem(name, (fingerprint, versions)));
            try
            {
                _catalog.SetCustomResources(name, [.. versions.Select(v => v.Resource)]);
            }
            catch (InvalidOperationException)
            {
                // Another resource holds one of these names (the caller checks names first; this is the last guard). A cache
                // started just for this attempt goes again; one that was there (the key space of another served CRD) stays.
                _state = state;
                if (cached)
                {
                    await _cache.RemoveResourceAsync(versions[0].Resource, CancellationToken.None);
                }

                throw;
            }

            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Stops serving a CRD's kind (catalog first, then lookups, then the cache). False when it was not served.</summary>
    public async Task<bool> StopAsync(string crdName, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            State state = _state;
            _terminating.TryRemove(crdName, out _);
            if (!state.ByCrd.TryGetValue(crdName, out var current))
            {
                return false;
            }

            _catalog.RemoveCustomResources(crdName);
            _state = new State(Without(state.ByResource, current.Versions), state.ByCrd.Remove(crdName));
            if (!current.Versions.IsDefaultOrEmpty)
            {
                await _cache.RemoveResourceAsync(current.Versions[0].Resource, cancellationToken);
            }

            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Marks a CRD whose deletion has started: its kind still serves reads, writes and deletes, but no creates.</summary>
    public void MarkTerminating(string crdName) => _terminating[crdName] = true;

    /// <summary>True while the CRD of this served version is being deleted.</summary>
    public bool IsTerminating(ServedCustomResource version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return _terminating.ContainsKey(version.Crd.Metadata.Name);
    }

    /// <summary>Records that the CRD controller has acted on a CRD as stored at <paramref name="revision"/>; wakes its waiters.</summary>
    public void MarkReconciled(string crdName, long revision)
    {
        TaskCompletionSource? signal;
        lock (_reconcileLock)
        {
            _reconciled[crdName] = Math.Max(_reconciled.GetValueOrDefault(crdName), revision);
            _reconcileSignals.Remove(crdName, out signal);
        }

        signal?.TrySetResult();
    }

    /// <summary>
    /// Waits until the CRD controller has acted on a CRD written at <paramref name="revision"/>, so the client that wrote it
    /// finds its kind served on its next request (kubectl apply, then kubectl get). <paramref name="timeout"/> only bounds a
    /// slow controller; without custom resources (no controller) it returns at once.
    /// </summary>
    public async Task WaitReconciledAsync(string crdName, long revision, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (!Enabled)
        {
            return;
        }

        using var bound = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token);
        while (true)
        {
            Task signal;
            lock (_reconcileLock)
            {
                if (_reconciled.GetValueOrDefault(crdName) >= revision)
                {
                    return;
                }

                if (!_reconcileSignals.TryGetValue(crdName, out TaskCompletionSource? source))
                {
                    source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _reconcileSignals[crdName] = source;
                }

                signal = source.Task;
            }

            try
            {
                await signal.WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public void Dispose() => _writeGate.Dispose();

    private static ImmutableDictionary<(string, string, string), ServedCustomResource> Without(
        ImmutableDictionary<(string, string, string), ServedCustomResource> byResource, ImmutableArray<ServedCustomResource> versions) =>
        versions.IsDefaultOrEmpty ? byResource : byResource.RemoveRange(versions.Select(v => (v.Resource.Group, v.Resource.Version, v.Resource.Plural)));

    private sealed record State(
        ImmutableDictionary<(string, string, string), ServedCustomResource> ByResource,
        ImmutableDictionary<string, (string Fingerprint, ImmutableArray<ServedCustomResource> Versions)> ByCrd);
}
