using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skiff.ControlPlane.Instrumentation;
using Skiff.Machinery.Informers;
using Skiff.Machinery.Leases;

namespace Skiff.ControlPlane.Controllers;

/// <summary>
/// kube-controller-manager: competes for the Lease <c>kube-system/kube-controller-manager</c> and, while it leads, runs every
/// registered <see cref="Controller"/> over one fresh <see cref="SharedInformerFactory"/>. When leadership is lost the
/// controllers and informers stop; instead of exiting (upstream), the manager competes again with a fresh election, because
/// here it shares the process with the API server.
/// </summary>
public sealed partial class ControllerManager : BackgroundService
{
    public const string LeaseNamespace = "kube-system";
    public const string LeaseName = "kube-controller-manager";

    private readonly IKubernetes _client;
    private readonly IReadOnlyList<Controller> _controllers;
    private readonly ControlPlaneOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<ControllerManager> _logger;

    public ControllerManager(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        IEnumerable<Controller> controllers,
        IOptions<ControlPlaneOptions> options,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        ControllerMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _controllers = [.. controllers];
        foreach (Controller controller in _controllers)
        {
            controller.Metrics ??= metrics;
        }

        _options = options.Value;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ControllerManager>();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The host decides when the API is ready (STYLE.md §7: each service awaits its milestone first).
        await _options.WaitForApiAsync(stoppingToken).ConfigureAwait(false);
        var electionOptions = new LeaderElectionOptions { Namespace = LeaseNamespace, LeaseName = LeaseName, Identity = _options.Identity };
        while (!stoppingToken.IsCancellationRequested)
        {
            LeaderElection election = LeaderElection.ForLease(_client, electionOptions, _timeProvider, _loggerFactory.CreateLogger<LeaderElection>());
            await election.RunAsync(
                new LeaderElectionCallbacks(RunControllersAsync, () => LogStoppedLeading(_logger, _options.Identity)),
                stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>One leadership term: a fresh informer factory, every controller registered, started, run until the term ends.</summary>
    internal async Task RunControllersAsync(CancellationToken leading)
    {
        await using var informers = new SharedInformerFactory(_client, _timeProvider, _loggerFactory, _options.ResyncPeriod);
        foreach (Controller controller in _controllers)
        {
            controller.Register(informers);
        }

        informers.Start(leading);
        LogStartedLeading(_logger, _options.Identity, _controllers.Count);
        await Task.WhenAll(_controllers.Select(c => Task.Run(() => c.RunAsync(leading), CancellationToken.None))).ConfigureAwait(false);
    }
}
