using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.DaemonSet;

public sealed partial class DaemonSetController
{
    [LoggerMessage(EventId = 6401, Level = LogLevel.Debug, Message = "DaemonSet {Namespace}/{Name} creates pods on {Count} nodes.")]
    private static partial void LogCreating(ILogger logger, string @namespace, string name, int count);

    [LoggerMessage(EventId = 6402, Level = LogLevel.Debug, Message = "DaemonSet {Namespace}/{Name} deletes pod {Pod}.")]
    private static partial void LogDeleting(ILogger logger, string @namespace, string name, string pod);

    [LoggerMessage(EventId = 6403, Level = LogLevel.Information, Message = "DaemonSet {Namespace}/{Name}: ControllerRevision {Revision} exists with other data; bumping collisionCount.")]
    private static partial void LogCollision(ILogger logger, string @namespace, string name, string revision);
}
