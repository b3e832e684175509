using Microsoft.Extensions.Logging;

namespace Skiff.ApiServer.Admission;

internal sealed partial class ResourceQuotaAdmission
{
    [LoggerMessage(EventId = 2460, Level = LogLevel.Debug, Message = "Charged quota {Namespace}/{Quota} for {Resource} {Name}.")]
    private static partial void LogCharged(ILogger logger, string? @namespace, string? quota, string resource, string name);

    [LoggerMessage(EventId = 2461, Level = LogLevel.Debug, Message = "Charging quota {Namespace}/{Quota} lost a write race (attempt {Attempt}); checking again.")]
    private static partial void LogConflict(ILogger logger, string? @namespace, string? quota, int attempt);
}
