using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.Endpoints;

public sealed partial class EndpointsController
{
    [LoggerMessage(EventId = 6801, Level = LogLevel.Debug, Message = "Endpoints {Namespace}/{Name} written with {Count} addresses.")]
    private static partial void LogWritten(ILogger logger, string @namespace, string name, int count);

    [LoggerMessage(EventId = 6802, Level = LogLevel.Debug, Message = "Endpoints {Namespace}/{Name} deleted with their Service.")]
    private static partial void LogDeleted(ILogger logger, string @namespace, string name);
}
