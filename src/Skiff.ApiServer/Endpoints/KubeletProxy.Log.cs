using Microsoft.Extensions.Logging;

namespace Skiff.ApiServer.Endpoints;

internal sealed partial class KubeletProxy
{
    [LoggerMessage(EventId = 2300, Level = LogLevel.Debug, Message = "Forwarding pods/{Subresource} of {Namespace}/{Name} to the kubelet of node {Node} at {Host}:{Port}.")]
    private static partial void LogForwarding(ILogger logger, string subresource, string @namespace, string name, string node, string host, int port);

    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "The kubelet's stream for {Path} broke off.")]
    private static partial void LogStreamBroken(ILogger logger, string path, Exception exception);
}
