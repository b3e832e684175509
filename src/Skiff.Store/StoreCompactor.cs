using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Skiff.Store;

/// <summary>
/// Keeps a bounded window of history: every interval it compacts to the revision the store had one interval earlier,
/// so a watcher that is at most one interval behind can always resume (kube-apiserver's habit with etcd).
/// </summary>
internal sealed partial class StoreCompactor(
    IRevisionedStore store,
    IOptions<StoreOptions> options,
    TimeProvider timeProvider,
    ILogger<StoreCompactor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TimeSpan interval = options.Value.CompactionInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        long previous = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, timeProvider, stoppingToken);
                long current = await store.GetCurrentRevisionAsync(stoppingToken);
                if (previous > 0)
                {
                    await store.CompactAsync(previous, stoppingToken);
                    LogCompacted(logger, previous);
                }

                previous = current;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (StoreException ex)
            {
                LogCompactionFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "Compacted the store to revision {Revision}.")]
    private static partial void LogCompacted(ILogger logger, long revision);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Compacting the store failed; it will be tried again.")]
    private static partial void LogCompactionFailed(ILogger logger, Exception exception);
}
