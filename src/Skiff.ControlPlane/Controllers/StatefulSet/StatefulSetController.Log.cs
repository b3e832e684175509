using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.StatefulSet;

public sealed partial class StatefulSetController
{
    [LoggerMessage(EventId = 6301, Level = LogLevel.Debug, Message = "StatefulSet {Namespace}/{Name} creates pod {Pod} at revision {Revision}.")]
    private static partial void LogCreating(ILogger logger, string @namespace, string name, string pod, string revision);

    [LoggerMessage(EventId = 6302, Level = LogLevel.Debug, Message = "StatefulSet {Namespace}/{Name} deletes pod {Pod}.")]
    private static partial void LogDeleting(ILogger logger, string @namespace, string name, string pod);

    [LoggerMessage(EventId = 6303, Level = LogLevel.Debug, Message = "StatefulSet {Namespace}/{Name} waits for pod {Pod} to be Running and Ready or gone.")]
    private static partial void LogWaiting(ILogger logger, string @namespace, string name, string pod);

    [LoggerMessage(EventId = 6304, Level = LogLevel.Information, Message = "StatefulSet {Namespace}/{Name}: ControllerRevision {Revision} exists with other data; bumping collisionCount.")]
    private static partial void LogCollision(ILogger logger, string @namespace, string name, string revision);
}
