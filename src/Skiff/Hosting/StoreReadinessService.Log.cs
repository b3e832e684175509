
namespace Skiff.Hosting;

internal sealed partial class StoreReadinessService
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "The datastore is ready at revision {Revision}")]
    private static partial void LogStoreReady(ILogger logger, long revision);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "The datastore does not answer yet; retrying in {Delay}: {Reason}")]
    private static partial void LogStoreNotAnswering(ILogger logger, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 202, Level = LogLevel.Critical, Message = "The datastore cannot be opened: {Reason}")]
    private static partial void LogStoreUnusable(ILogger logger, string reason, Exception exception);
}
