using System.Net;
using System.Security.Cryptography.X509Certificates;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Skiff.Agent.Kubelet.Streaming;
using Skiff.Agent.Runtime;
using Skiff.Machinery.Informers;

namespace Skiff.Agent.Kubelet.Server;

/// <summary>
/// The kubelet's HTTPS server (upstream's port 10250): <c>/healthz</c>, <c>/pods</c>, <c>/containerLogs</c>, <c>/exec</c>,
/// <c>/attach</c>, <c>/portForward</c>, <c>/metrics</c>, <c>/metrics/cadvisor</c> and <c>/stats/summary</c>. Every client must
/// present a certificate the cluster CA signed (the API server's kubelet-client certificate, or an admin's); others fail the
/// TLS handshake. Pods come from the kubelet's informer, containers and stats from CRI.
/// </summary>
public sealed partial class KubeletServer : IAsyncDisposable
{
    private readonly CriClient _cri;
    private readonly SharedInformer<V1Pod> _pods;
    private readonly KubeletOptions _options;
    private readonly StreamingHandlers _streaming;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly X509Certificate2 _serving;
    private readonly X509Certificate2 _clientCa;
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Gauge _runningPods;
    private readonly Gauge _runningContainers;
    private readonly Gauge _nodeName;
    private readonly Lock _cpuLock = new();
    private (DateTimeOffset At, ulong UsageNanoseconds)? _lastNodeCpu;
    private WebApplication? _app;

    public KubeletServer(CriClient cri, SharedInformer<V1Pod> pods, KubeletOptions options, StreamingHandlers streaming, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(cri);
        ArgumentNullException.ThrowIfNull(pods);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(streaming);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _cri = cri;
        _pods = pods;
        _options = options;
        _streaming = streaming;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<KubeletServer>();
        _time = timeProvider;
        _serving = options.ServingCertificate ?? throw new ArgumentException("the kubelet server needs ServingCertificate", nameof(options));
        _clientCa = options.ClientCa ?? throw new ArgumentException("the kubelet server needs ClientCa", nameof(options));
        var factory = Metrics.WithCustomRegistry(_registry);
        _runningPods = factory.CreateGauge("kubelet_running_pods", "Number of pods that have a running pod sandbox");
        _runningContainers = factory.CreateGauge("kubelet_running_containers", "Number of containers currently running",
            new GaugeConfiguration { LabelNames = ["container_state"] });
        _nodeName = factory.CreateGauge("kubelet_node_name", "The node's name. The count is always 1.", new GaugeConfiguration { LabelNames = ["node"] });
        DotNetStats.Register(_registry);
    }

    /// <summary>The port the server listens on once started.</summary>
    public int Port { get; private set; }

    /// <summary>Starts listening; returns once the socket is bound.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        int port = _options.ServerPort ?? throw new InvalidOperationException("KubeletOptions.ServerPort is not set");
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggerFactory);
        // The kubelet runs inside another host (skiff agent or server, or a test): it must not take over SIGTERM/Ctrl+C.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            IPAddress address = _options.ServerAddress ?? IPAddress.Any;
            if (address.Equals(IPAddress.Any))
            {
                kestrel.ListenAnyIP(port, listen => listen.UseHttps(ConfigureHttps));
            }
            else
            {
                kestrel.Listen(address, port, listen => listen.UseHttps(ConfigureHttps));
            }
        });
        WebApplication app = builder.Build();
        MapRoutes(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        Port = port;
        KubeletServerLog.Listening(_logger, (_options.ServerAddress ?? IPAddress.Any).ToString(), Port);
    }

    /// <summary>Stops listening; open streams (follow, exec) are cut.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            KubeletServerLog.Stopped(_logger);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await StopAsync(timeout.Token).ConfigureAwait(false);
    }

    private void ConfigureHttps(HttpsConnectionAdapterOptions https)
    {
        https.ServerCertificate = _serving;
        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
        https.ClientCertificateValidation = (certificate, _, _) => IsSignedByClientCa(certificate);
    }

    private bool IsSignedByClientCa(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_clientCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        bool ok = chain.Build(certificate) && chain.ChainElements[^1].Certificate.RawDataMemory.Span.SequenceEqual(_clientCa.RawDataMemory.Span);
        if (!ok)
        {
            KubeletServerLog.ClientRefused(_logger, certificate.Subject);
        }

        return ok;
    }

    private void MapRoutes(WebApplication app)
    {
        app.MapGet("/healthz", context => WriteTextAsync(context, StatusCodes.Status200OK, "ok"));
        app.MapGet("/pods", ServePodsAsync);
        app.MapGet("/containerLogs/{ns}/{pod}/{container}", ServeContainerLogsAsync);
        app.MapMethods("/exec/{ns}/{pod}/{container}", ["GET", "POST"], context => ServeExecAsync(context, attach: false));
        app.MapMethods("/attach/{ns}/{pod}/{container}", ["GET", "POST"], context => ServeExecAsync(context, attach: true));
        app.MapMethods("/portForward/{ns}/{pod}", ["GET", "POST"], ServePortForwardAsync);
        app.MapGet("/metrics", ServeMetricsAsync);
        app.MapGet("/metrics/cadvisor", ServeCadvisorAsync);
        app.MapGet("/stats/summary", ServeSummaryAsync);
    }

    private async Task ServePodsAsync(HttpContext context)
    {
        var list = new V1PodList
        {
            ApiVersion = "v1",
            Kind = "PodList",
            Metadata = new V1ListMeta(),
            Items = [.. _pods.Cache.List().Where(p => p.Spec?.NodeName == _options.NodeName)],
        };
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(k8s.KubernetesJson.Serialize(list), context.RequestAborted).ConfigureAwait(false);
    }

    private V1Pod? FindPod(HttpContext context)
    {
        string ns = (string)context.Request.RouteValues["ns"]!;
        string name = (string)context.Request.RouteValues["pod"]!;
        return _pods.Cache.List().FirstOrDefault(p => p.Metadata?.NamespaceProperty == ns && p.Metadata?.Name == name && p.Spec?.NodeName == _options.NodeName);
    }

    private static Task WriteTextAsync(HttpContext context, int statusCode, string text)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }
}
