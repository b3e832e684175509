using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.CronJob;

public sealed partial class CronJobController
{
    [LoggerMessage(EventId = 6601, Level = LogLevel.Information, Message = "CronJob {Namespace}/{Name} created Job {Job}.")]
    private static partial void LogCreated(ILogger logger, string @namespace, string name, string job);

    [LoggerMessage(EventId = 6602, Level = LogLevel.Warning, Message = "CronJob {Namespace}/{Name} could not delete Job {Job}.")]
    private static partial void LogDeleteFailed(ILogger logger, string @namespace, string name, string job, Exception failure);
}
