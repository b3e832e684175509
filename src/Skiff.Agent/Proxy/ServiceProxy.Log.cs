using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Proxy;

public sealed partial class ServiceProxy
{
    [LoggerMessage(EventId = 8220, Level = LogLevel.Debug,
        Message = "Synced proxy rules (full {Full}): {Ports} service ports ({Rendered} rendered), {Changed} chains rewritten, {Deleted} deleted, {Changes} object changes, in {Milliseconds:F1} ms")]
    private static partial void LogSynced(ILogger logger, bool full, int ports, int rendered, int changed, int deleted, int changes, double milliseconds);

    [LoggerMessage(EventId = 8221, Level = LogLevel.Warning, Message = "Writing the proxy rules failed; the next sync rewrites them all: {Reason}")]
    private static partial void LogSyncFailed(ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 8222, Level = LogLevel.Information, Message = "Removed the service proxy's chains and jumps")]
    private static partial void LogCleanedUp(ILogger logger);

    [LoggerMessage(EventId = 8223, Level = LogLevel.Warning, Message = "Could not remove every service proxy rule: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string reason);
}
