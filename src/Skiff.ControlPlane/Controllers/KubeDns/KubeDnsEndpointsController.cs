using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Controllers.Endpoints;
using Skiff.ControlPlane.Controllers.EndpointSlice;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.KubeDns;

/// <summary>
/// Points the selectorless <c>kube-system/kube-dns</c> Service (created at bootstrap at <c>--cluster-dns</c>) at the cluster DNS
/// every agent serves: the Endpoints <c>kube-system/kube-dns</c> (labelled skip-mirror, so no mirroring copies it) and the
/// EndpointSlice <c>kube-system/kube-dns</c> (labelled with the Service and this controller) list, for every node whose Ready
/// condition is True and that publishes the annotation <c>skiff.io/dns-address</c>, that address with the node's name and the
/// Service's ports (dns 53/UDP, dns-tcp 53/TCP). The Endpoints and EndpointSlice controllers leave the Service alone because it
/// has no selector. Without the Service, what this controller wrote is deleted.
/// </summary>
public sealed partial class KubeDnsEndpointsController : Controller
{
    private static readonly string s_key = ObjectKeys.Of(KubeDnsSync.Namespace, KubeDnsSync.ServiceName);

    private readonly IKubernetes _client;
    private readonly ILogger<KubeDnsEndpointsController> _logger;
    private readonly IEventRecorder _events;
    private SharedInformer<V1Service>? _services;
    private SharedInformer<V1Node>? _nodes;
    private SharedInformer<V1Endpoints>? _endpoints;
    private SharedInformer<V1EndpointSlice>? _slices;

    public KubeDnsEndpointsController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        TimeProvider timeProvider,
        ILogger<KubeDnsEndpointsController> logger,
        IEventRecorder? events = null)
        : base(KubeDnsSync.ManagedByValue, 1, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = logger;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("kube-dns-endpoints-controller");
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _services = informers.Services();
        _nodes = informers.Nodes();
        _endpoints = informers.Endpoints();
        _slices = informers.EndpointSlices();
        _services.AddEventHandler(OnlyKubeDns<V1Service>(_ => true));
        _endpoints.AddEventHandler(OnlyKubeDns<V1Endpoints>(_ => true));
        _slices.AddEventHandler(OnlyKubeDns<V1EndpointSlice>(s => s.Metadata?.Name == KubeDnsSync.SliceName));
        _nodes.AddEventHandler(new InformerHandler<V1Node>(
            onAdd: node => EnqueueIf(KubeDnsSync.ServerOf(node) is not null),
            onUpdate: (old, node) => EnqueueIf(KubeDnsSync.ServerOf(old) != KubeDnsSync.ServerOf(node)),
            onDelete: node => EnqueueIf(KubeDnsSync.ServerOf(node) is not null)));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_services is null || _nodes is null || _endpoints is null || _slices is null || key != s_key)
        {
            return;
        }

        V1Endpoints? endpoints = _endpoints.Cache.Get(KubeDnsSync.Namespace, KubeDnsSync.ServiceName);
        V1EndpointSlice? slice = _slices.Cache.Get(KubeDnsSync.Namespace, KubeDnsSync.SliceName);
        // A kube-dns with a selector (CoreDNS pods run behind it, with --disable-cluster-dns) is the endpoints controllers' to keep.
        if (!_services.Cache.TryGet(key, out V1Service? service) || service.Metadata?.DeletionTimestamp is not null
            || service.Spec?.Selector is { Count: > 0 })
        {
            await DeleteOursAsync(endpoints, slice, cancellationToken).ConfigureAwait(false);
            return;
        }

        List<KubeDnsSync.DnsServer> servers = KubeDnsSync.Servers(_nodes.Cache.List(), KubeDnsSync.FamilyOf(service));
        V1Endpoints desiredEndpoints = KubeDnsSync.DesiredEndpoints(service, servers, endpoints);
        V1EndpointSlice desiredSlice = KubeDnsSync.DesiredSlice(service, servers, slice);
        bool wrote = false;
        try
        {
            if (endpoints is null)
            {
                await _client.CoreV1.CreateNamespacedEndpointsAsync(desiredEndpoints, KubeDnsSync.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                wrote = true;
            }
            else if (KubeDnsSync.EndpointsDiffer(endpoints, desiredEndpoints))
            {
                await _client.CoreV1.ReplaceNamespacedEndpointsAsync(desiredEndpoints, KubeDnsSync.ServiceName, KubeDnsSync.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                wrote = true;
            }

            if (slice is null)
            {
                await _client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(desiredSlice, KubeDnsSync.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                wrote = true;
            }
            else if (KubeDnsSync.SliceDiffers(slice, desiredSlice))
            {
                await _client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(desiredSlice, KubeDnsSync.SliceName, KubeDnsSync.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                wrote = true;
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is not (HttpStatusCode.Conflict or HttpStatusCode.NotFound))
        {
            _events.Record(service, EventTypes.Warning, "FailedToUpdateEndpoint", $"Failed to update the endpoints of {s_key}: {e.Response.Content}");
            throw;
        }

        if (wrote)
        {
            string listed = string.Join(",", servers.Select(s => s.NodeName + "=" + s.Address));
            LogWritten(_logger, servers.Count, listed);
        }
    }

    private async Task DeleteOursAsync(V1Endpoints? endpoints, V1EndpointSlice? slice, CancellationToken cancellationToken)
    {
        try
        {
            if (slice is not null && KubeDnsSync.IsOurs(slice.Metadata?.Labels, EndpointSliceSync.ManagedByLabel))
            {
                await _client.DiscoveryV1.DeleteNamespacedEndpointSliceAsync(KubeDnsSync.SliceName, KubeDnsSync.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                LogDeleted(_logger, "EndpointSlice");
            }

            if (endpoints is not null && KubeDnsSync.IsOurs(endpoints.Metadata?.Labels, EndpointsSync.ManagedByLabel))
            {
                await _client.CoreV1.DeleteNamespacedEndpointsAsync(KubeDnsSync.ServiceName, KubeDnsSync.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                LogDeleted(_logger, "Endpoints");
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone (the garbage collector follows the slice's owner reference too).
        }
    }

    private InformerHandler<T> OnlyKubeDns<T>(Func<T, bool> filter)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        void OnEvent(T obj) => EnqueueIf(obj.Metadata?.NamespaceProperty == KubeDnsSync.Namespace
            && (obj.Metadata.Name == KubeDnsSync.ServiceName || obj is V1EndpointSlice) && filter(obj));
        return new InformerHandler<T>(onAdd: OnEvent, onUpdate: (_, updated) => OnEvent(updated), onDelete: OnEvent);
    }

    private void EnqueueIf(bool condition)
    {
        if (condition)
        {
            Queue.Add(s_key);
        }
    }
}
