using System.Collections.Concurrent;
using k8s.Models;
using Skiff.Machinery.Errors;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// Upstream's NamespaceLifecycle plugin. A namespaced object may only be created in a namespace that exists (404 naming
/// the namespace) and is not being terminated (403, with the NamespaceTerminating cause); the namespaces the cluster
/// cannot do without (default, kube-system, kube-public) may not be deleted. Deletes and updates of other objects, and
/// cluster-scoped objects, pass. The namespace is read from the watch cache, and from the store only when the cache does
/// not have it (yet), so a namespace created a moment ago is not refused; for 30 s after a namespace's delete passed
/// admission it is always read from the store (upstream's forceLiveLookupCache), so no create slips in while the cache
/// still shows the namespace without its deletionTimestamp.
/// </summary>
internal sealed class NamespaceLifecycleAdmission(CacheOrStore reads) : IMutatingAdmissionPlugin, IValidatingAdmissionPlugin
{
    /// <summary>Upstream's immortal namespaces (kube-apiserver's defaults).</summary>
    private static readonly HashSet<string> s_immortal = ["default", "kube-system", "kube-public"];

    private static readonly TimeSpan s_liveLookupAfterDelete = TimeSpan.FromSeconds(30);

    private readonly ResourceInfo _namespaces = reads.Resource(string.Empty, "namespaces");

    /// <summary>Namespaces whose delete was admitted lately, and until when they are read from the store.</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _liveUntil = new(StringComparer.Ordinal);

    public string Name => "NamespaceLifecycle";

    public async Task AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes.Operation != AdmissionOperation.Create || !attributes.Resource.Namespaced || string.IsNullOrEmpty(attributes.Namespace))
        {
            return;
        }

        string ns = attributes.Namespace;
        bool live = false;
        if (_liveUntil.TryGetValue(ns, out DateTimeOffset until))
        {
            live = until > attributes.Context.TimeProvider.GetUtcNow();
            if (!live)
            {
                _liveUntil.TryRemove(ns, out _);
            }
        }

        // accept: a cached copy is taken unless the namespace's delete was admitted lately.
        V1Namespace namespaceObject = await reads.GetAsync<V1Namespace>(_namespaces, null, ns, live ? _ => false : null, cancellationToken)
            ?? throw ApiErrors.NotFound(string.Empty, "namespaces", ns);
        if (namespaceObject.Metadata?.DeletionTimestamp is not null || namespaceObject.Status?.Phase == "Terminating")
        {
            string message = $"unable to create new content in namespace {ns} because it is being terminated";
            throw StoredObjects.Forbidden(
                attributes,
                message,
                new V1StatusCause { Reason = "NamespaceTerminating", Message = message, Field = "metadata.namespace" });
        }
    }

    public Task ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes.Operation == AdmissionOperation.Delete
            && attributes.Resource.Group.Length == 0
            && attributes.Resource.Plural == "namespaces"
            && s_immortal.Contains(attributes.Name))
        {
            throw StoredObjects.Forbidden(attributes, "this namespace may not be deleted");
        }

        if (attributes.Operation == AdmissionOperation.Delete && attributes.Resource.Group.Length == 0 && attributes.Resource.Plural == "namespaces")
        {
            _liveUntil[attributes.Name] = attributes.Context.TimeProvider.GetUtcNow() + s_liveLookupAfterDelete;
        }

        return Task.CompletedTask;
    }
}
