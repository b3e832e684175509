using System.Net;

namespace Skiff.Hosting;

internal sealed partial class ServerHost
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Starting skiff server on {BindAddress}:{Port} as node {NodeName}")]
    private static partial void LogStarting(ILogger logger, IPAddress bindAddress, int port, string nodeName);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Running the embedded agent (containerd and the kubelet) as node {NodeName}")]
    private static partial void LogAgentEmbedded(ILogger logger, string nodeName);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "skiff server stopped")]
    private static partial void LogStopped(ILogger logger);
}
