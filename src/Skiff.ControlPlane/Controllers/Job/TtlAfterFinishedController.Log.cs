using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.Job;

public sealed partial class TtlAfterFinishedController
{
    [LoggerMessage(EventId = 6550, Level = LogLevel.Information, Message = "Job {Namespace}/{Name} finished longer ago than its ttlSecondsAfterFinished; deleting it.")]
    private static partial void LogDeleting(ILogger logger, string @namespace, string name);
}
