using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Kubelet.Server;

/// <summary>The kubelet server's log messages (event ids 8140–8159).</summary>
internal static partial class KubeletServerLog
{
    [LoggerMessage(8140, LogLevel.Information, "kubelet server listening on https://{Address}:{Port}")]
    public static partial void Listening(ILogger logger, string address, int port);

    [LoggerMessage(8141, LogLevel.Information, "kubelet server stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(8142, LogLevel.Information, "{Kind} for {Namespace}/{Name} container {Container} goes to runtime container {ContainerId}")]
    public static partial void StreamRouted(ILogger logger, string kind, string @namespace, string name, string container, string containerId);

    [LoggerMessage(8143, LogLevel.Information, "portForward for {Namespace}/{Name} goes to sandbox {SandboxId}")]
    public static partial void PortForwardRouted(ILogger logger, string @namespace, string name, string sandboxId);

    [LoggerMessage(8144, LogLevel.Warning, "serving {Path} failed")]
    public static partial void RequestFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(8145, LogLevel.Debug, "refused a client certificate not signed by the cluster CA: {Subject}")]
    public static partial void ClientRefused(ILogger logger, string subject);
}
