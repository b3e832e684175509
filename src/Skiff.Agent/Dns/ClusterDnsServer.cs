using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Machinery.Informers;

namespace Skiff.Agent.Dns;

/// <summary>
/// Cluster DNS (CoreDNS' kubernetes plugin's records) served by the agent: A, SRV and PTR records for Services and their
/// endpoints under the cluster domain from watched Services and EndpointSlices; every other name forwarded upstream.
/// </summary>
/// <remarks>
/// Messages are parsed and encoded by ARSoft.Tools.Net; the sockets are driven here (a few UDP receive loops on one socket, a
/// TCP accept loop) because the library's DnsServer spends more per query than the ≥ 20k queries/s per core target allows.
/// The records live in one immutable <see cref="DnsRecordSet"/> replaced whole after every informer change.
/// </remarks>
public sealed partial class ClusterDnsServer
{
    /// <summary>Node annotation: the address this node's DNS server answers on; the kube-dns endpoints controller reads it.</summary>
    public const string AddressAnnotation = "skiff.io/dns-address";

    /// <summary>Forwarded queries in flight beyond which new ones get SERVFAIL at once (a dead upstream must not pile up sockets).</summary>
    private const int MaxForwarding = 1024;

    private readonly IKubernetes _client;
    private readonly ClusterDnsOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterDnsServer> _logger;
    private readonly UpstreamForwarder _forwarder;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DnsRecordSet _records;
    private int _forwarding;
    private uint _serial;

    public ClusterDnsServer(IKubernetes client, ClusterDnsOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _client = client;
        _options = options;
        _loggerFactory = loggerFactory;
        _time = time;
        _logger = loggerFactory.CreateLogger<ClusterDnsServer>();
        _forwarder = new UpstreamForwarder(options);
        _records = DnsRecordSet.Empty(options.ClusterDomain, options.Ttl);
    }

    /// <summary>Completes once the server listens and its records are loaded (the caller then publishes <see cref="AddressAnnotation"/>).</summary>
    public Task Ready => _ready.Task;

    /// <summary>The address and port it listens on once bound (the port the OS chose when <see cref="ClusterDnsOptions.Port"/> is 0).</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>Serves until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var udp = new Socket(_options.ListenAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(_options.ListenAddress, _options.Port));
        var bound = (IPEndPoint)udp.LocalEndPoint!; // Bound just above, so the endpoint exists.
        var tcp = new TcpListener(bound);
        tcp.Start();
        try
        {
            await using var factory = new SharedInformerFactory(_client, _time, _loggerFactory, TimeSpan.Zero);
            SharedInformer<V1Service> services = factory.Services();
            SharedInformer<V1EndpointSlice> slices = factory.EndpointSlices();
            Channel<bool> changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
            services.AddEventHandler(new InformerHandler<V1Service>(_ => changed.Writer.TryWrite(true), (_, _) => changed.Writer.TryWrite(true), _ => changed.Writer.TryWrite(true)));
            slices.AddEventHandler(new InformerHandler<V1EndpointSlice>(_ => changed.Writer.TryWrite(true), (_, _) => changed.Writer.TryWrite(true), _ => changed.Writer.TryWrite(true)));
            factory.Start(cancellationToken);
            await factory.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false);
            changed.Reader.TryRead(out _);
            Rebuild(services, slices);

            LocalEndPoint = bound;
            LogListening(_logger, bound, _options.ClusterDomain, _records.Count);
            _ready.TrySetResult();

            int receivers = _options.UdpReceivers > 0 ? _options.UdpReceivers : Math.Clamp(Environment.ProcessorCount, 2, 4);
            var loops = new List<Task>
            {
                Task.Run(() => AcceptTcpAsync(tcp, cancellationToken), CancellationToken.None),
                Task.Run(() => RebuildOnChangeAsync(changed.Reader, services, slices, cancellationToken), CancellationToken.None),
            };
            for (int i = 0; i < receivers; i++)
            {
                loops.Add(Task.Run(() => ReceiveUdpAsync(udp, cancellationToken), CancellationToken.None));
            }

            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        finally
        {
            tcp.Stop();
        }
    }

    private async Task RebuildOnChangeAsync(ChannelReader<bool> changed, SharedInformer<V1Service> services, SharedInformer<V1EndpointSlice> slices, CancellationToken cancellationToken)
    {
        try
        {
            while (await changed.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                changed.TryRead(out _);
                Rebuild(services, slices);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Builds a new snapshot from the informer caches and swaps it in; queries in flight finish on the old one.</summary>
    private void Rebuild(SharedInformer<V1Service> services, SharedInformer<V1EndpointSlice> slices)
    {
        _serial = Math.Max(_serial + 1, (uint)_time.GetUtcNow().ToUnixTimeSeconds());
        DnsRecordSet records = DnsRecordBuilder.Build(services.Cache.List(), slices.Cache.List(), _options.ClusterDomain, _options.Ttl, _serial);
        Volatile.Write(ref _records, records);
        LogRebuilt(_logger, records.Count, _serial);
    }
}
