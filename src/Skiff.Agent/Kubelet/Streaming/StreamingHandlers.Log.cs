using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Kubelet.Streaming;

/// <summary>The streaming handlers' log messages (event ids 8130–8139).</summary>
public sealed partial class StreamingHandlers
{
    private static partial class Log
    {
        [LoggerMessage(8130, LogLevel.Debug, "{Kind} session for {Target} started over {Transport} ({Protocol})")]
        public static partial void SessionStarted(ILogger logger, string kind, string target, string transport, string protocol);

        [LoggerMessage(8131, LogLevel.Debug, "{Kind} session for {Target} ended")]
        public static partial void SessionEnded(ILogger logger, string kind, string target);

        [LoggerMessage(8132, LogLevel.Information, "streaming request for {Target} refused: {Reason}")]
        public static partial void Refused(ILogger logger, string target, string reason);

        [LoggerMessage(8133, LogLevel.Warning, "the runtime's streaming server failed for {Target}")]
        public static partial void RuntimeFailed(ILogger logger, string target, Exception exception);

        [LoggerMessage(8134, LogLevel.Debug, "{Kind} session for {Target} ended when a connection broke")]
        public static partial void SessionBroken(ILogger logger, string kind, string target, Exception exception);

        [LoggerMessage(8135, LogLevel.Debug, "relaying SPDY stream {Stream} ended with an error")]
        public static partial void RelayStreamFailed(ILogger logger, int stream, Exception exception);
    }
}
