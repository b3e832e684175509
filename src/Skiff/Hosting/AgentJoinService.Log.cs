
namespace Skiff.Hosting;

internal sealed partial class AgentJoinService
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Joined {Server} as node {NodeName}")]
    private static partial void LogJoined(ILogger logger, string nodeName, Uri server);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Running as node {NodeName} with the credentials stored in {Directory}")]
    private static partial void LogReusedCredentials(ILogger logger, string nodeName, string directory);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Cannot reach {Server} yet; retrying in {Delay}: {Reason}")]
    private static partial void LogServerUnreachable(ILogger logger, Uri server, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 403, Level = LogLevel.Error, Message = "Joining failed: {Reason}")]
    private static partial void LogJoinFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 404, Level = LogLevel.Information, Message = "Joining again instead of reusing the stored credentials: {Reason}")]
    private static partial void LogStoredCredentialsStale(ILogger logger, string reason);
}
