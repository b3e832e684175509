using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.PodGC;

public sealed partial class PodGCController
{
    [LoggerMessage(EventId = 6750, Level = LogLevel.Information, Message = "{Count} terminated pods exceed the threshold of {Threshold}; deleting the {Excess} oldest.")]
    private static partial void LogTerminatedOverThreshold(ILogger logger, int count, int threshold, int excess);

    [LoggerMessage(EventId = 6751, Level = LogLevel.Information, Message = "Found orphaned pod {Namespace}/{Name} assigned to node {Node}, which no longer exists; deleting it.")]
    private static partial void LogOrphaned(ILogger logger, string @namespace, string name, string node);

    [LoggerMessage(EventId = 6752, Level = LogLevel.Information, Message = "Pod {Namespace}/{Name} is terminating but was never scheduled; deleting it.")]
    private static partial void LogUnscheduledTerminating(ILogger logger, string @namespace, string name);

    [LoggerMessage(EventId = 6753, Level = LogLevel.Information, Message = "Pod {Namespace}/{Name} is terminating on node {Node}, which is NotReady and out of service; deleting it.")]
    private static partial void LogOutOfService(ILogger logger, string @namespace, string name, string node);

    [LoggerMessage(EventId = 6754, Level = LogLevel.Information, Message = "PodGC force-deleted pod {Namespace}/{Name}.")]
    private static partial void LogForceDeleted(ILogger logger, string @namespace, string name);

    [LoggerMessage(EventId = 6755, Level = LogLevel.Warning, Message = "PodGC could not delete pod {Namespace}/{Name}; the next sweep tries again.")]
    private static partial void LogDeleteFailed(ILogger logger, string @namespace, string name, Exception exception);
}
