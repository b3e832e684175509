using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Kubelet.Server;
using Skiff.Agent.Kubelet.Streaming;
using Skiff.Agent.Runtime;
using Skiff.Machinery.Informers;

namespace Skiff.Agent.Kubelet;

/// <summary>
/// The node agent's pod lifecycle core: registers the Node and renews its Lease (<see cref="NodeRegistration"/>), follows
/// the pods bound to it and runs them on a CRI runtime (<see cref="PodWorkers"/>). Talks to the API only through
/// <see cref="IKubernetes"/>.
/// </summary>
public sealed class Kubelet
{
    private readonly IKubernetes _client;
    private readonly CriClient _cri;
    private readonly KubeletOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public Kubelet(IKubernetes client, CriClient cri, KubeletOptions options, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(cri);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _client = client;
        _cri = cri;
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<Kubelet>();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Registers the node (retrying until it succeeds), then runs the lease and pod loops until cancelled; returns once they stopped.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var registration = new NodeRegistration(_client, _cri, _options, _logger, _time);
        try
        {
            await RegisterAsync(registration, cancellationToken).ConfigureAwait(false);
            await using var factory = new SharedInformerFactory(_client, _time, _loggerFactory, TimeSpan.Zero);
            SharedInformer<V1Pod> pods = factory.GetOrCreate(c => PodWorkers.ListWatchFor(c, _options.NodeName), null);
            using var workers = new PodWorkers(_client, _cri, pods, _options, _logger, _time);
            pods.AddEventHandler(workers.Handler);
            factory.Start(cancellationToken);
            await factory.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false);
            await using KubeletServer? server = await StartServerAsync(pods, cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(
                registration.RunLeaseAsync(cancellationToken), registration.RunStatusAsync(cancellationToken), workers.RunAsync(cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped (a cancelled gRPC or HTTP call may surface as its own exception type rather than OperationCanceledException).
        }
    }

    /// <summary>The HTTPS server (logs, exec, attach, port-forward, metrics, stats) when <see cref="KubeletOptions.ServerPort"/> is set.</summary>
    private async Task<KubeletServer?> StartServerAsync(SharedInformer<V1Pod> pods, CancellationToken cancellationToken)
    {
        if (_options.ServerPort is null)
        {
            return null;
        }

        var streaming = new StreamingHandlers(_cri, _loggerFactory.CreateLogger<StreamingHandlers>());
        var server = new KubeletServer(_cri, pods, _options, streaming, _loggerFactory, _time);
        await server.StartAsync(cancellationToken).ConfigureAwait(false);
        return server;
    }

    private async Task RegisterAsync(NodeRegistration registration, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await registration.RegisterAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or Grpc.Core.RpcException && !cancellationToken.IsCancellationRequested)
            {
                KubeletLog.RegisterFailed(_logger, _options.NodeName, e);
                await Task.Delay(TimeSpan.FromSeconds(2), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
