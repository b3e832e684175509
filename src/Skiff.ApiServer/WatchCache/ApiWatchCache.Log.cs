using Microsoft.Extensions.Logging;

namespace Skiff.ApiServer.WatchCache;

internal sealed partial class ApiWatchCache
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Watch cache loaded {Count} objects at revision {Revision}.")]
    private static partial void LogLoaded(ILogger logger, int count, long revision);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Watch cache fell behind the store's history ({Reason}); relisting.")]
    private static partial void LogRelist(ILogger logger, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Watch cache lost the store; retrying.")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Stored object {Key} is not valid JSON; it is left out of the cache.")]
    private static partial void LogUnreadable(ILogger logger, string key, Exception exception);
}
