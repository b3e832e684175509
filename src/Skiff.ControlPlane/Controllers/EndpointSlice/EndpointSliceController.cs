using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Controllers.Endpoints;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.EndpointSlice;

/// <summary>
/// Keeps the EndpointSlices of every Service with a selector (upstream pkg/controller/endpointslice): slices named
/// <c>&lt;service&gt;-&lt;random&gt;</c>, owned by the Service, labelled with its name and this controller, at most 100 endpoints
/// each, one per pod with its ready/serving/terminating conditions, node and zone. Slices are updated in place; a Service
/// with no endpoints keeps one empty slice. Deleting the Service leaves the slices to the garbage collector (they are
/// owned); this controller deletes them itself too, so they go even without one.
/// </summary>
public sealed partial class EndpointSliceController : Controller
{
    private readonly IKubernetes _client;
    private readonly ILogger<EndpointSliceController> _logger;
    private readonly IEventRecorder _events;
    private readonly SliceTracker _tracker;
    private SharedInformer<V1Service>? _services;
    private SharedInformer<V1Pod>? _pods;
    private SharedInformer<V1EndpointSlice>? _slices;
    private SharedInformer<V1Node>? _nodes;

    public EndpointSliceController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        TimeProvider timeProvider,
        ILogger<EndpointSliceController> logger,
        IEventRecorder? events = null,
        int workers = 5)
        : base("endpointslice", workers, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = logger;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("endpoint-slice-controller");
        _tracker = new SliceTracker(timeProvider);
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _services = informers.Services();
        _pods = informers.Pods();
        _slices = informers.EndpointSlices();
        _nodes = informers.Nodes();
        _services.AddEventHandler(EnqueueHandler<V1Service>());
        _pods.AddEventHandler(new InformerHandler<V1Pod>(
            onAdd: EnqueueServicesOf,
            onUpdate: (old, pod) =>
            {
                EnqueueServicesOf(old);
                EnqueueServicesOf(pod);
            },
            onDelete: EnqueueServicesOf));
        _slices.AddEventHandler(new InformerHandler<V1EndpointSlice>(onAdd: EnqueueServiceOf, onUpdate: (_, s) => EnqueueServiceOf(s), onDelete: EnqueueServiceOf));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_services is null || _pods is null || _slices is null || _nodes is null)
        {
            return;
        }

        (string ns, string name) = Split(key);
        List<V1EndpointSlice> existing = [.. _slices.Cache.ByIndex(CacheIndexers.Namespace, ns).Where(s => EndpointSliceSync.IsManaged(s) && EndpointSliceSync.ServiceName(s) == name)];
        if (!_tracker.IsSynced(key, existing.ToDictionary(s => s.Metadata.Name, s => (string?)s.Metadata.ResourceVersion, StringComparer.Ordinal)))
        {
            // The informer has not shown this controller's last writes yet; their events (or this timer) bring the key back.
            Queue.AddAfter(key, TimeSpan.FromSeconds(1));
            return;
        }

        if (!_services.Cache.TryGet(key, out V1Service? service) || !ServicePods.HasSelector(service))
        {
            // Gone, or turned into a user-managed Service: the slices this controller made are no longer right.
            foreach (V1EndpointSlice slice in existing)
            {
                await DeleteAsync(key, slice, cancellationToken).ConfigureAwait(false);
            }

            if (service is null)
            {
                _tracker.Forget(key);
            }

            return;
        }

        // Slices left from an earlier Service of the same name are not ours to reuse.
        existing.RemoveAll(s => ServiceOwnerUid(s) is { } uid && uid != service.Metadata.Uid);
        Dictionary<string, EndpointSliceSync.PortGroup> desired = EndpointSliceSync.DesiredEndpoints(
            service, _pods.Cache.ByIndex(CacheIndexers.Namespace, ns), nodeName => _nodes.Cache.Get(null, nodeName));
        EndpointSliceSync.Plan plan = EndpointSliceSync.Reconcile(service, desired, existing, TimeProvider.GetUtcNow());
        if (plan.IsEmpty)
        {
            return;
        }

        LogApplying(_logger, ns, name, plan.Create.Count, plan.Update.Count, plan.Delete.Count);
        try
        {
            foreach (V1EndpointSlice slice in plan.Create)
            {
                V1EndpointSlice created = await _client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(slice, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                _tracker.Written(key, created.Metadata.Name, created.Metadata.ResourceVersion);
            }

            foreach (V1EndpointSlice slice in plan.Update)
            {
                V1EndpointSlice updated = await _client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, slice.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                _tracker.Written(key, updated.Metadata.Name, updated.Metadata.ResourceVersion);
            }

            foreach (V1EndpointSlice slice in plan.Delete)
            {
                await DeleteAsync(key, slice, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is not (HttpStatusCode.Conflict or HttpStatusCode.NotFound))
        {
            _events.Record(service, EventTypes.Warning, "FailedToUpdateEndpointSlices", $"Error updating Endpoint Slices for Service {ns}/{name}: {e.Response.Content}");
            throw;
        }
    }

    private async Task DeleteAsync(string serviceKey, V1EndpointSlice slice, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DiscoveryV1.DeleteNamespacedEndpointSliceAsync(slice.Metadata.Name, slice.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone.
        }

        _tracker.Deleted(serviceKey, slice.Metadata.Name);
    }

    private static string? ServiceOwnerUid(V1EndpointSlice slice) =>
        slice.Metadata?.OwnerReferences?.FirstOrDefault(o => o.Controller == true && o.Kind == "Service")?.Uid;

    private static (string Namespace, string Name) Split(string key)
    {
        int slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (string.Empty, key) : (key[..slash], key[(slash + 1)..]);
    }

    private void EnqueueServiceOf(V1EndpointSlice slice)
    {
        if (EndpointSliceSync.IsManaged(slice) && EndpointSliceSync.ServiceName(slice) is { Length: > 0 } service)
        {
            Queue.Add(ObjectKeys.Of(slice.Metadata.NamespaceProperty, service));
        }
    }

    private void EnqueueServicesOf(V1Pod pod)
    {
        if (_services is null)
        {
            return;
        }

        foreach (V1Service service in _services.Cache.ByIndex(CacheIndexers.Namespace, pod.Metadata?.NamespaceProperty ?? string.Empty))
        {
            if (ServicePods.Matches(service, pod))
            {
                Enqueue(service);
            }
        }
    }
}
