using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.NodeLifecycle;

public sealed partial class NodeLifecycleController
{
    [LoggerMessage(EventId = 6950, Level = LogLevel.Information, Message = "Node {Node} has not renewed its Lease or posted status since {LastSeen} (grace period {GracePeriod}); its conditions are now Unknown.")]
    private static partial void LogNodeUnknown(ILogger logger, string node, DateTime lastSeen, TimeSpan gracePeriod);

    [LoggerMessage(EventId = 6951, Level = LogLevel.Information, Message = "Node {Node} taints set to [{Taints}] (NoExecute tainting: {Mode}).")]
    private static partial void LogTaints(ILogger logger, string node, string taints, NoExecuteTainting mode);

    [LoggerMessage(EventId = 6952, Level = LogLevel.Information, Message = "Pod {Namespace}/{Name} marked not Ready: its node {Node} is unreachable.")]
    private static partial void LogPodNotReady(ILogger logger, string @namespace, string name, string node);

    [LoggerMessage(EventId = 6953, Level = LogLevel.Debug, Message = "Node {Node} changed while it was being updated; it is looked at again on its next event.")]
    private static partial void LogConflict(ILogger logger, string node);
}
