using Microsoft.Extensions.Logging;

namespace Skiff.Store.Sqlite;

internal sealed partial class WalCheckpointer
{
    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "A background checkpoint of the datastore's WAL failed; it will be retried.")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);
}
