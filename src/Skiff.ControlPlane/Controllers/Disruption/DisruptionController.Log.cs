using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.Disruption;

public sealed partial class DisruptionController
{
    [LoggerMessage(EventId = 6851, Level = LogLevel.Debug, Message = "PodDisruptionBudget {Namespace}/{Name}: {CurrentHealthy} healthy of {DesiredHealthy} desired, {Allowed} disruptions allowed.")]
    private static partial void LogStatus(ILogger logger, string @namespace, string name, int currentHealthy, int desiredHealthy, int allowed);

    [LoggerMessage(EventId = 6852, Level = LogLevel.Information, Message = "PodDisruptionBudget {Namespace}/{Name} allows no disruption: {Reason}.")]
    private static partial void LogSyncFailed(ILogger logger, string @namespace, string name, string reason);
}
