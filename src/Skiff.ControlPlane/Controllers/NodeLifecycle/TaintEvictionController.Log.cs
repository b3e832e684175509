using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.NodeLifecycle;

public sealed partial class TaintEvictionController
{
    [LoggerMessage(EventId = 6965, Level = LogLevel.Information, Message = "Deleting pod {Namespace}/{Name}: it does not (or no longer) tolerate the NoExecute taints of node {Node}.")]
    private static partial void LogEvicting(ILogger logger, string @namespace, string name, string node);
}
