using Microsoft.Extensions.Logging;

namespace Skiff.ApiServer.Encryption;

internal sealed partial class EncryptingStore
{
    [LoggerMessage(EventId = 2501, Level = LogLevel.Error, Message = "Stored value {Key} cannot be decrypted and is left out of lists and watches: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string key, string reason);
}
