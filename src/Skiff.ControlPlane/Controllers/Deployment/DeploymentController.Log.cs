using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.Deployment;

public sealed partial class DeploymentController
{
    [LoggerMessage(EventId = 6201, Level = LogLevel.Information, Message = "Creating ReplicaSet {Namespace}/{Name} at revision {Revision}.")]
    private static partial void LogCreatingReplicaSet(ILogger logger, string @namespace, string name, long revision);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Information, Message = "Scaling ReplicaSet {Namespace}/{Name} from {From} to {To}.")]
    private static partial void LogScaling(ILogger logger, string @namespace, string name, int from, int to);
}
