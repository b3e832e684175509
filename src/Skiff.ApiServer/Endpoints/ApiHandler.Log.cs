using Microsoft.Extensions.Logging;

namespace Skiff.ApiServer.Endpoints;

internal sealed partial class ApiHandler
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Error, Message = "The datastore failed while serving {Method} {Path}.")]
    private static partial void LogStoreFailure(ILogger logger, string method, string path, Exception exception);
}
