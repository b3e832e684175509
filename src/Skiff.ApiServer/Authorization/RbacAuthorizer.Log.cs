using Microsoft.Extensions.Logging;

namespace Skiff.ApiServer.Authorization;

internal sealed partial class RbacAuthorizer
{
    [LoggerMessage(EventId = 2440, Level = LogLevel.Debug, Message = "RBAC: no rule allows user {User} (groups {Groups}) to {Verb} {What}.")]
    private static partial void LogNoRule(ILogger logger, string user, IReadOnlyList<string> groups, string verb, string what);

    [LoggerMessage(EventId = 2441, Level = LogLevel.Debug, Message = "RBAC policy re-indexed at revision {Revision}.")]
    private static partial void LogRebuilt(ILogger logger, long revision);

    [LoggerMessage(EventId = 2442, Level = LogLevel.Warning, Message = "RBAC object {Key} cannot be read and is ignored.")]
    private static partial void LogUnreadable(ILogger logger, string key, Exception exception);
}
