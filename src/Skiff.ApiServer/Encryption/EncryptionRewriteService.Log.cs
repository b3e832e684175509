using Microsoft.Extensions.Logging;

namespace Skiff.ApiServer.Encryption;

internal sealed partial class EncryptionRewriteService
{
    [LoggerMessage(EventId = 2502, Level = LogLevel.Information, Message = "Encryption at rest: rewrote {Rewritten} stored values with the current write key; {Unreadable} could not be decrypted.")]
    private static partial void LogRewritten(ILogger logger, int rewritten, int unreadable);

    [LoggerMessage(EventId = 2503, Level = LogLevel.Error, Message = "Encryption at rest: stored value {Key} cannot be decrypted with any configured key and was not rewritten: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 2504, Level = LogLevel.Error, Message = "Encryption at rest: the rewrite of stored values stopped on a store failure; the next start resumes it.")]
    private static partial void LogRewriteFailed(ILogger logger, Exception exception);
}
