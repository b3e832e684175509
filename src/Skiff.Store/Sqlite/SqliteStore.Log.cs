using Microsoft.Extensions.Logging;

namespace Skiff.Store.Sqlite;

internal sealed partial class SqliteStore
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Created a new datastore at {Path}.")]
    private static partial void LogCreated(ILogger logger, string path);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Opened the datastore at {Path} at revision {Revision}.")]
    private static partial void LogOpened(ILogger logger, string path, long revision);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "A batch of {Count} writes could not be committed; none of them was applied.")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Compacted the datastore to revision {Revision}.")]
    private static partial void LogCompacted(ILogger logger, long revision);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Reclaiming free space in the datastore failed; it will be tried at the next compaction.")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);
}
