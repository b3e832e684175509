using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Machinery.Informers;

namespace Skiff.Agent.Proxy;

/// <summary>
/// kube-proxy's iptables mode: Services and EndpointSlices (and this Node) are watched, and the nat and filter chains that send
/// ClusterIP, NodePort and LoadBalancer traffic to ready endpoints are written with iptables-restore; only changed chains are rewritten.
/// </summary>
public sealed partial class ServiceProxy
{
    private readonly IKubernetes _client;
    private readonly ServiceProxyOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private const string RouteLocalnet = "net.ipv4.conf.all.route_localnet";

    private readonly Lock _pendingLock = new();
    private string? _routeLocalnetBefore;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private List<ProxyChange> _pending = [];

    // Each Service port's rendered rules, kept between syncs (only the sync loop touches it).
    private readonly ProxyRuleCache _rules;

    public ServiceProxy(IKubernetes client, ServiceProxyOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(time);
        _client = client;
        _options = options;
        _loggerFactory = loggerFactory;
        _time = time;
        _logger = loggerFactory.CreateLogger<ServiceProxy>();
        _rules = new ProxyRuleCache(options.ClusterCidr);
        Metrics = new ServiceProxyMetrics(options.Metrics ?? Prometheus.Metrics.NewCustomRegistry());
    }

    /// <summary>Raised (on the sync loop) after every successful sync, with the changes it applied.</summary>
    public event EventHandler<ProxySyncedEventArgs>? Synced;

    public ServiceProxyMetrics Metrics { get; }

    /// <summary>Programs the rules until cancelled, then removes its chains and jumps.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // NodePorts answer on 127.0.0.1 too: DNAT of a loopback source to a pod needs route_localnet (kube-proxy sets it the same
        // way). Unlike kube-proxy, the value found is put back on stop, when KUBE-FIREWALL no longer guards 127.0.0.0/8.
        _routeLocalnetBefore = (await _options.Command.RunAsync("sysctl", ["-n", RouteLocalnet], cancellationToken: cancellationToken).ConfigureAwait(false)).Trim();
        await _options.Command.RunAsync("sysctl", ["-w", RouteLocalnet + "=1"], cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await using var factory = new SharedInformerFactory(_client, _time, _loggerFactory, TimeSpan.Zero);
            SharedInformer<V1Service> services = factory.GetOrCreate(KubernetesListWatch.Services, null);
            SharedInformer<V1EndpointSlice> slices = factory.GetOrCreate(KubernetesListWatch.EndpointSlices, null);
            SharedInformer<V1Node> nodes = factory.GetOrCreate(c => NodeListWatch(c, _options.NodeName), null);
            services.AddEventHandler(Handler<V1Service>("Service"));
            slices.AddEventHandler(Handler<V1EndpointSlice>("EndpointSlice"));
            nodes.AddEventHandler(Handler<V1Node>("Node"));
            factory.Start(cancellationToken);
            await factory.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false);
            await SyncLoopAsync(services, slices, nodes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Only a stop removes the rules; a failure (the agent starts the proxy again) leaves them serving meanwhile.
            if (cancellationToken.IsCancellationRequested)
            {
                await CleanupAsync().ConfigureAwait(false);
            }
        }
    }

    private static ListWatch<V1Node> NodeListWatch(IKubernetes client, string nodeName)
    {
        string selector = "metadata.name=" + nodeName;
        return KubernetesListWatch.Create<V1Node, V1NodeList>(
            ct => client.CoreV1.ListNodeAsync(fieldSelector: selector, cancellationToken: ct),
            (r, onError, ct) => client.CoreV1.WatchListNodeAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, fieldSelector: selector, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds,
                onError: onError, cancellationToken: ct));
    }

    private InformerHandler<T> Handler<T>(string kind)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        new(
            o => Changed(kind, o, deleted: false),
            (old, o) =>
            {
                // A resync re-delivers the same object: nothing to program.
                if (!ReferenceEquals(old, o))
                {
                    Changed(kind, o, deleted: false);
                }
            },
            o => Changed(kind, o, deleted: true));

    private void Changed<T>(string kind, T obj, bool deleted)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        DateTimeOffset observed = _time.GetUtcNow();
        if (kind == "EndpointSlice" && obj.Metadata?.Annotations is { } annotations
            && annotations.TryGetValue("endpoints.kubernetes.io/last-change-trigger-time", out string? trigger)
            && DateTimeOffset.TryParse(trigger, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out DateTimeOffset at)
            && at <= observed)
        {
            observed = at;
        }

        var change = new ProxyChange(kind, obj.Metadata?.NamespaceProperty ?? "", obj.Metadata?.Name ?? "", obj.Metadata?.ResourceVersion, deleted, observed);
        lock (_pendingLock)
        {
            _pending.Add(change);
        }

        _wake.Writer.TryWrite(true);
    }

    private List<ProxyChange> TakePending()
    {
        lock (_pendingLock)
        {
            List<ProxyChange> taken = _pending;
            _pending = [];
            return taken;
        }
    }

    private void ReturnPending(List<ProxyChange> changes)
    {
        lock (_pendingLock)
        {
            changes.AddRange(_pending);
            _pending = changes;
        }
    }
}
