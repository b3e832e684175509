using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skiff.ControlPlane.Instrumentation;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers;

/// <summary>
/// kube-controller-manager: while it holds the Lease <c>kube-system/kube-controller-manager</c>, runs every registered
/// <see cref="Controller"/> over one fresh <see cref="SharedInformerFactory"/> (see <see cref="LeaderElectedService"/>).
/// </summary>
public sealed partial class ControllerManager : LeaderElectedService
{
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
        : base(client, timeProvider, loggerFactory, LeaseName, Value(options).Identity, Value(options).WaitForApiAsync)
    {
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

    protected override Task RunTermAsync(CancellationToken leading) => RunControllersAsync(leading);

    protected override void OnStoppedLeading() => LogStoppedLeading(_logger, _options.Identity);

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

    private static ControlPlaneOptions Value(IOptions<ControlPlaneOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Value;
    }
}
