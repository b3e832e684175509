using Microsoft.Extensions.Logging;

namespace Skiff.Agent.NetworkPolicy;

public sealed partial class NetworkPolicyAgent
{
    [LoggerMessage(EventId = 8260, Level = LogLevel.Information, Message = "Network policy enforcement started for node {Node}")]
    private static partial void LogStarted(ILogger logger, string node);

    [LoggerMessage(EventId = 8261, Level = LogLevel.Debug, Message = "Network policy rules written: {Isolated} of {Local} local pods isolated, {Chains} chains")]
    private static partial void LogSynced(ILogger logger, int isolated, int local, int chains);

    [LoggerMessage(EventId = 8262, Level = LogLevel.Warning, Message = "Writing network policy rules failed; retrying")]
    private static partial void LogSyncFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 8263, Level = LogLevel.Information, Message = "Network policy jump inserted first in FORWARD")]
    private static partial void LogJumpInserted(ILogger logger);

    [LoggerMessage(EventId = 8264, Level = LogLevel.Warning,
        Message = "Could not set net.bridge.bridge-nf-call-iptables=1 ({Error}); policy will not see traffic between pods on the same bridge")]
    private static partial void LogBridgeSysctlFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 8265, Level = LogLevel.Information, Message = "Network policy chains and FORWARD jump removed")]
    private static partial void LogCleanedUp(ILogger logger);

    [LoggerMessage(EventId = 8266, Level = LogLevel.Warning, Message = "Removing network policy chains failed")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception);
}
