using Skiff.Store;

namespace Skiff.Hosting;

/// <summary>
/// Opens the store and waits until it answers, then reaches <see cref="ClusterMilestone.StoreReady"/>. An etcd cluster may come
/// up after us, so failures to answer are retried with backoff; a store that cannot be opened at all stops the process.
/// </summary>
internal sealed partial class StoreReadinessService : BackgroundService
{
    private static readonly TimeSpan s_firstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan s_maxRetry = TimeSpan.FromSeconds(10);

    private readonly IServiceProvider _services;
    private readonly ClusterReadiness _readiness;
    private readonly TimeProvider _timeProvider;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<StoreReadinessService> _logger;

    public StoreReadinessService(
        IServiceProvider services,
        ClusterReadiness readiness,
        TimeProvider timeProvider,
        IHostApplicationLifetime lifetime,
        ILogger<StoreReadinessService> logger)
    {
        _services = services;
        _readiness = readiness;
        _timeProvider = timeProvider;
        _lifetime = lifetime;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IRevisionedStore store;
        try
        {
            store = _services.GetRequiredService<IRevisionedStore>();
        }
        catch (Exception e) when (e is StoreException or NotSupportedException or IOException or UnauthorizedAccessException)
        {
            LogStoreUnusable(_logger, e.Message, e);
            _readiness.Fail(e);
            _lifetime.StopApplication();
            return;
        }

        TimeSpan delay = s_firstRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                long revision = await store.GetCurrentRevisionAsync(stoppingToken);
                LogStoreReady(_logger, revision);
                _readiness.Reach(ClusterMilestone.StoreReady);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogStoreNotAnswering(_logger, delay, e.Message);
            }

            await Task.Delay(delay, _timeProvider, stoppingToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_maxRetry.Ticks));
        }
    }
}
