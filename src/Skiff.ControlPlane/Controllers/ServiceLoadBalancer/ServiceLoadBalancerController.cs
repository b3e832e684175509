using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.ServiceLoadBalancer;

/// <summary>
/// The built-in service load balancer, the part MetalLB or k3s' klipper-lb plays where no cloud provider exists: every Service of
/// type LoadBalancer without <c>spec.loadBalancerClass</c> gets <c>status.loadBalancer.ingress</c> (ip, ipMode VIP), written
/// through the status subresource; the service proxy answers on those addresses.
/// <list type="bullet">
/// <item>With a pool (<see cref="ControlPlaneOptions.LoadBalancerPool"/>): one free address each, or <c>spec.loadBalancerIP</c>
/// when it is free and inside the pool. Before the first allocation of a leadership term, the addresses Services already show
/// are marked used (first created keeps an address), so a restart or a new leader never hands one out twice. A Service that is
/// deleted or stops being a LoadBalancer frees its address, and its status is cleared; a Service that found the pool full
/// (Warning AllocationFailed) stays pending and is tried again whenever an address frees up.</item>
/// <item>Without a pool: the InternalIPs of the Ready nodes, rewritten as nodes come, go, or change readiness.</item>
/// </list>
/// </summary>
public sealed partial class ServiceLoadBalancerController : Controller
{
    public const string AllocationFailedReason = "AllocationFailed";
    public const string IpAllocatedReason = "IPAllocated";

    private readonly IKubernetes _client;
    private readonly IEventRecorder _events;
    private readonly ILogger<ServiceLoadBalancerController> _logger;
    private readonly IPNetwork? _poolNetwork;
    private readonly Lock _lock = new();
    private SharedInformer<V1Service>? _services;
    private SharedInformer<V1Node>? _nodes;
    private AddressPool? _pool;
    private Dictionary<string, Assignment> _assigned = new(StringComparer.Ordinal);
    private bool _initialized;

    public ServiceLoadBalancerController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        IOptions<ControlPlaneOptions> options,
        TimeProvider timeProvider,
        ILogger<ServiceLoadBalancerController> logger,
        IEventRecorder? events = null)
        : base("service-lb", 2, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _logger = logger;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("service-lb-controller");
        _poolNetwork = options.Value.LoadBalancerPool;
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        // Each term starts from what the Services show: the used set is rebuilt from the cache before the first allocation.
        lock (_lock)
        {
            _pool = _poolNetwork is { } network ? new AddressPool(network) : null;
            _assigned = new Dictionary<string, Assignment>(StringComparer.Ordinal);
            _initialized = false;
        }

        _services = informers.Services();
        _services.AddEventHandler(EnqueueHandler<V1Service>());
        if (_poolNetwork is null)
        {
            _nodes = informers.Nodes();
            _nodes.AddEventHandler(new InformerHandler<V1Node>(
                onAdd: _ => EnqueueAllOurs(),
                onUpdate: (old, node) =>
                {
                    if (LoadBalancerSync.NodeFingerprint(old) != LoadBalancerSync.NodeFingerprint(node))
                    {
                        EnqueueAllOurs();
                    }
                },
                onDelete: _ => EnqueueAllOurs()));
        }
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_services is null)
        {
            return;
        }

        AddressPool? pool = _pool;
        if (pool is not null)
        {
            EnsureInitialized(_services, pool);
        }

        if (!_services.Cache.TryGet(key, out V1Service? service) || service.Metadata?.DeletionTimestamp is not null)
        {
            Release(key, pool);
            return;
        }

        if (!LoadBalancerSync.IsOurs(service))
        {
            bool held = Release(key, pool);
            // Another type has no load balancer; a Service with a class belongs to another implementation, whose status is
            // left alone unless the address there is one this controller gave.
            if (LoadBalancerSync.HasIngress(service) && (service.Spec?.Type != LoadBalancerSync.LoadBalancerType || held))
            {
                await WriteIngressAsync(service, [], cancellationToken).ConfigureAwait(false);
                LogCleared(_logger, key);
            }

            return;
        }

        List<V1LoadBalancerIngress> desired = pool is null
            ? LoadBalancerSync.Ingress(LoadBalancerSync.ReadyNodeAddresses(_nodes?.Cache.List() ?? []))
            : LoadBalancerSync.Ingress(Allocate(key, service, pool) is { } address ? [address] : []);
        if (LoadBalancerSync.SameIngress(service, desired))
        {
            return;
        }

        await WriteIngressAsync(service, desired, cancellationToken).ConfigureAwait(false);
        string addresses = string.Join(",", desired.Select(i => i.Ip));
        LogWritten(_logger, key, addresses);
    }

    // Writes through the status subresource with the cached resourceVersion: a stale cache gets a conflict and a retry.
    private async Task WriteIngressAsync(V1Service service, List<V1LoadBalancerIngress> ingress, CancellationToken cancellationToken)
    {
        V1Service update = ReplicaSetSync.Clone(service);
        update.Status ??= new V1ServiceStatus();
        update.Status.LoadBalancer = new V1LoadBalancerStatus { Ingress = ingress.Count == 0 ? null : ingress };
        try
        {
            await _client.CoreV1.ReplaceNamespacedServiceStatusAsync(update, service.Metadata.Name, service.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Deleted meanwhile: its delete event frees the address.
        }
    }

    private void EnqueueAllOurs()
    {
        foreach (V1Service service in _services?.Cache.List() ?? [])
        {
            if (LoadBalancerSync.IsOurs(service))
            {
                Enqueue(service);
            }
        }
    }

    private sealed record Assignment(IPAddress Address, string? Uid);
}
