using Microsoft.Extensions.Logging;

namespace Skiff.ApiServer.Audit;

internal sealed partial class AuditLogWriter
{
    [LoggerMessage(EventId = 2510, Level = LogLevel.Error, Message = "Writing the audit log {Path} failed; the events of this batch are lost.")]
    private static partial void LogWriteFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 2511, Level = LogLevel.Warning, Message = "The audit queue was full: {Count} audit events were dropped.")]
    private static partial void LogDropped(ILogger logger, long count);

    [LoggerMessage(EventId = 2512, Level = LogLevel.Information, Message = "Audit log {Path} rotated to {Backup}.")]
    private static partial void LogRotated(ILogger logger, string path, string backup);
}
