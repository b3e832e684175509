using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skiff.ControlPlane.Events;
using Skiff.ControlPlane.Instrumentation;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>
/// kube-scheduler in the server process: while it holds the Lease <c>kube-system/kube-scheduler</c>, runs a
/// <see cref="SchedulerRunner"/> (fresh informers, cache and queue per term; see <see cref="LeaderElectedService"/>).
/// </summary>
public sealed partial class SchedulerService : LeaderElectedService
{
    public const string LeaseName = "kube-scheduler";

    private readonly IKubernetes _client;
    private readonly SchedulerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<SchedulerService> _logger;
    private readonly SchedulerMetrics? _metrics;

    public SchedulerService(
        [FromKeyedServices(SchedulerOptions.ClientKey)] IKubernetes client,
        IOptions<SchedulerOptions> options,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        SchedulerMetrics? metrics = null)
        : base(client, timeProvider, loggerFactory, LeaseName, Value(options).Identity, Value(options).WaitForApiAsync)
    {
        _client = client;
        _options = options.Value;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<SchedulerService>();
        _metrics = metrics;
    }

    protected override async Task RunTermAsync(CancellationToken leading)
    {
        // Events carry the scheduler's own component name (the From column of kubectl describe), written with its own client.
        using var events = new EventRecorder(_client, _timeProvider, _loggerFactory.CreateLogger<EventRecorder>(), SchedulerApi.DefaultSchedulerName);
        var runner = new SchedulerRunner(_client, events, _timeProvider, _loggerFactory, _options.Profiles) { Parallelism = _options.Parallelism, Metrics = _metrics };
        LogStartedLeading(_logger, _options.Identity);
        await runner.RunAsync(leading).ConfigureAwait(false);
    }

    protected override void OnStoppedLeading() => LogStoppedLeading(_logger, _options.Identity);

    private static SchedulerOptions Value(IOptions<SchedulerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Value;
    }

    [LoggerMessage(EventId = 7120, Level = LogLevel.Information, Message = "Scheduler {Identity} is leading; scheduling pods.")]
    private static partial void LogStartedLeading(ILogger logger, string identity);

    [LoggerMessage(EventId = 7121, Level = LogLevel.Information, Message = "Scheduler {Identity} stopped leading.")]
    private static partial void LogStoppedLeading(ILogger logger, string identity);
}
