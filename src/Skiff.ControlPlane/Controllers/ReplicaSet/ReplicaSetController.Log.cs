using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.ReplicaSet;

public sealed partial class ReplicaSetController
{
    [LoggerMessage(EventId = 6101, Level = LogLevel.Debug, Message = "ReplicaSet {Namespace}/{Name} is short of pods; creating {Count}.")]
    private static partial void LogCreating(ILogger logger, string @namespace, string name, int count);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Debug, Message = "ReplicaSet {Namespace}/{Name} has too many pods; deleting {Count}.")]
    private static partial void LogDeleting(ILogger logger, string @namespace, string name, int count);
}
