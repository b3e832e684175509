using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Skiff.Store.Etcd;

// Event ids 1200–1299 belong to the etcd backend.
internal sealed partial class EtcdStore
{
    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Using etcd at {Endpoints} under key prefix {Prefix}.")]
    private static partial void LogCreated(ILogger logger, string endpoints, string prefix);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "An etcd request failed with {StatusCode}: {Detail}.")]
    private static partial void LogCallFailed(ILogger logger, StatusCode statusCode, string detail, Exception exception);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Debug, Message = "Compacted etcd to revision {Revision}.")]
    private static partial void LogCompacted(ILogger logger, long revision);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Debug, Message = "etcd was already compacted past revision {Revision}; nothing to do.")]
    private static partial void LogAlreadyCompacted(ILogger logger, long revision);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Debug, Message = "Could not revoke unused lease {Lease}; it expires on its own.")]
    private static partial void LogLeaseRevokeFailed(ILogger logger, long lease, Exception exception);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Debug, Message = "The watch on {Prefix} after revision {Revision} was compacted at revision {CompactRevision}.")]
    private static partial void LogWatchCompacted(ILogger logger, string prefix, long revision, long compactRevision);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Information, Message = "etcd canceled the watch on {Prefix}: {Reason}.")]
    private static partial void LogWatchCanceled(ILogger logger, string prefix, string reason);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Information, Message = "The etcd watch stream broke.")]
    private static partial void LogWatchBroken(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Information, Message = "Reopening the watch on {Prefix} after revision {Revision} in {Delay}.")]
    private static partial void LogWatchReconnecting(ILogger logger, string prefix, long revision, TimeSpan delay);

    [LoggerMessage(EventId = 1209, Level = LogLevel.Debug, Message = "Could not learn how far etcd was compacted.")]
    private static partial void LogCompactRevisionUnknown(ILogger logger, Exception exception);
}
