using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.Job;

public sealed partial class JobController
{
    [LoggerMessage(EventId = 6501, Level = LogLevel.Debug, Message = "Job {Namespace}/{Name} needs more pods; creating {Count}.")]
    private static partial void LogCreating(ILogger logger, string @namespace, string name, int count);

    [LoggerMessage(EventId = 6502, Level = LogLevel.Debug, Message = "Job {Namespace}/{Name} deletes {Count} pods.")]
    private static partial void LogDeleting(ILogger logger, string @namespace, string name, int count);

    [LoggerMessage(EventId = 6503, Level = LogLevel.Information, Message = "Job {Namespace}/{Name} finished: {Reason}.")]
    private static partial void LogFinished(ILogger logger, string @namespace, string name, string reason);

    [LoggerMessage(EventId = 6504, Level = LogLevel.Debug, Message = "Pod {Namespace}/{Name} has no Job any more; removing its job-tracking finalizer.")]
    private static partial void LogReleasingOrphan(ILogger logger, string @namespace, string name);
}
