using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers;

public sealed partial class ControllerManager
{
    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "{Identity} leads the controller manager and starts {Count} controllers.")]
    private static partial void LogStartedLeading(ILogger logger, string identity, int count);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "{Identity} stopped leading the controller manager; its controllers stopped.")]
    private static partial void LogStoppedLeading(ILogger logger, string identity);
}
