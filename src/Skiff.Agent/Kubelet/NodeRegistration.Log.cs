using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Kubelet;

public sealed partial class NodeRegistration
{
    /// <summary>Node registration and status messages (event ids 8160–8169).</summary>
    private static partial class Log
    {
        [LoggerMessage(8160, LogLevel.Warning, "updating the status of node {Node} failed; retrying on the next tick")]
        public static partial void StatusUpdateFailed(ILogger logger, string node, Exception exception);

        [LoggerMessage(8161, LogLevel.Information, "node {Node} status changed: {Conditions}")]
        public static partial void StatusChanged(ILogger logger, string node, string conditions);
    }
}
