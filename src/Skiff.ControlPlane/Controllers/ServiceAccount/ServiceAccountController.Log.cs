using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.ServiceAccount;

public sealed partial class ServiceAccountController
{
    [LoggerMessage(EventId = 6201, Level = LogLevel.Information, Message = "Created {Kind} {Namespace}/{Name}.")]
    private static partial void LogCreated(ILogger logger, string kind, string @namespace, string name);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Information, Message = "Updated ConfigMap {Namespace}/{Name} to hold the current cluster CA.")]
    private static partial void LogUpdated(ILogger logger, string @namespace, string name);
}
