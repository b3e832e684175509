using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Kubelet;

/// <summary>The kubelet's log messages (event ids 8050–8099).</summary>
internal static partial class KubeletLog
{
    [LoggerMessage(8050, LogLevel.Information, "node {Node} registered ({Cpu} cpu, {Memory} memory, runtime {Runtime})")]
    public static partial void NodeRegistered(ILogger logger, string node, string cpu, string memory, string runtime);

    [LoggerMessage(8051, LogLevel.Warning, "renewing the lease of node {Node} failed")]
    public static partial void LeaseRenewFailed(ILogger logger, string node, Exception exception);

    [LoggerMessage(8052, LogLevel.Information, "pod {Namespace}/{Name} started in sandbox {Sandbox}")]
    public static partial void PodStarted(ILogger logger, string @namespace, string name, string sandbox);

    [LoggerMessage(8053, LogLevel.Warning, "starting pod {Namespace}/{Name} failed; retrying on the next relist")]
    public static partial void PodStartFailed(ILogger logger, string @namespace, string name, Exception exception);

    [LoggerMessage(8054, LogLevel.Warning, "pulling image {Image} for pod {Namespace}/{Name} failed")]
    public static partial void ImagePullFailed(ILogger logger, string image, string @namespace, string name, Exception exception);

    [LoggerMessage(8055, LogLevel.Information, "pod {Namespace}/{Name} terminated (grace {Grace} s) and deleted")]
    public static partial void PodTerminated(ILogger logger, string @namespace, string name, long grace);

    [LoggerMessage(8056, LogLevel.Warning, "terminating pod {Namespace}/{Name} failed; retrying on the next relist")]
    public static partial void PodTerminateFailed(ILogger logger, string @namespace, string name, Exception exception);

    [LoggerMessage(8057, LogLevel.Information, "removed sandbox {Sandbox} of pod uid {Uid}, which is no longer in the API")]
    public static partial void OrphanRemoved(ILogger logger, string sandbox, string uid);

    [LoggerMessage(8058, LogLevel.Warning, "relist failed; trying again in {Seconds:F0} s")]
    public static partial void RelistFailed(ILogger logger, double seconds, Exception exception);

    [LoggerMessage(8059, LogLevel.Warning, "writing the status of pod {Namespace}/{Name} failed; retrying on the next relist")]
    public static partial void StatusWriteFailed(ILogger logger, string @namespace, string name, Exception exception);

    [LoggerMessage(8060, LogLevel.Warning, "registering node {Node} failed; retrying")]
    public static partial void RegisterFailed(ILogger logger, string node, Exception exception);
}
