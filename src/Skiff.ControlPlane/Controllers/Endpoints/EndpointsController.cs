using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.Endpoints;

/// <summary>
/// Keeps one Endpoints object per Service with a selector (upstream pkg/controller/endpoint): the IPs of the matching pods,
/// ready ones in addresses and the others in notReadyAddresses. A pod marked for deletion leaves at once, which is the
/// step of the pod-deletion flow that stops traffic before the kubelet kills the containers. Services without a selector
/// are left to their users; the Endpoints of a deleted Service are deleted.
/// </summary>
public sealed partial class EndpointsController : Controller
{
    private readonly IKubernetes _client;
    private readonly ILogger<EndpointsController> _logger;
    private readonly IEventRecorder _events;
    private SharedInformer<V1Service>? _services;
    private SharedInformer<V1Pod>? _pods;
    private SharedInformer<V1Endpoints>? _endpoints;

    public EndpointsController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        TimeProvider timeProvider,
        ILogger<EndpointsController> logger,
        IEventRecorder? events = null,
        int workers = 5)
        : base("endpoints", workers, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = logger;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("endpoint-controller");
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _services = informers.Services();
        _pods = informers.Pods();
        _endpoints = informers.Endpoints();
        _services.AddEventHandler(EnqueueHandler<V1Service>());
        _pods.AddEventHandler(new InformerHandler<V1Pod>(
            onAdd: EnqueueServicesOf,
            onUpdate: (old, pod) =>
            {
                EnqueueServicesOf(old);
                EnqueueServicesOf(pod);
            },
            onDelete: EnqueueServicesOf));

        // Someone else wrote or deleted the Endpoints of a Service: put them back (for Services with a selector).
        _endpoints.AddEventHandler(new InformerHandler<V1Endpoints>(onAdd: Enqueue, onUpdate: (_, e) => Enqueue(e), onDelete: Enqueue));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_services is null || _pods is null || _endpoints is null)
        {
            return;
        }

        _endpoints.Cache.TryGet(key, out V1Endpoints? current);
        if (!_services.Cache.TryGet(key, out V1Service? service))
        {
            if (current is not null)
            {
                await DeleteAsync(current, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (!ServicePods.HasSelector(service))
        {
            return;
        }

        string ns = service.Metadata.NamespaceProperty;
        IReadOnlyList<V1Pod> pods = _pods.Cache.ByIndex(CacheIndexers.Namespace, ns);
        V1Endpoints desired = EndpointsSync.Desired(service, pods, current, TimeProvider.GetUtcNow());
        int addresses = CountAddresses(desired);
        if (current is null)
        {
            try
            {
                await _client.CoreV1.CreateNamespacedEndpointsAsync(desired, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                LogWritten(_logger, ns, service.Metadata.Name, addresses);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode != HttpStatusCode.Conflict)
            {
                _events.Record(service, EventTypes.Warning, "FailedToCreateEndpoint", $"Failed to create endpoint for service {ns}/{service.Metadata.Name}: {e.Response.Content}");
                throw;
            }

            return;
        }

        if (!EndpointsSync.NeedsUpdate(current, desired))
        {
            return;
        }

        try
        {
            await _client.CoreV1.ReplaceNamespacedEndpointsAsync(desired, desired.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogWritten(_logger, ns, service.Metadata.Name, addresses);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is not (HttpStatusCode.Conflict or HttpStatusCode.NotFound))
        {
            _events.Record(service, EventTypes.Warning, "FailedToUpdateEndpoint", $"Failed to update endpoint {ns}/{service.Metadata.Name}: {e.Response.Content}");
            throw;
        }
    }

    private async Task DeleteAsync(V1Endpoints endpoints, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CoreV1.DeleteNamespacedEndpointsAsync(endpoints.Metadata.Name, endpoints.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogDeleted(_logger, endpoints.Metadata.NamespaceProperty, endpoints.Metadata.Name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone.
        }
    }

    private static int CountAddresses(V1Endpoints endpoints) =>
        (endpoints.Subsets ?? []).Sum(s => (s.Addresses?.Count ?? 0) + (s.NotReadyAddresses?.Count ?? 0));

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
