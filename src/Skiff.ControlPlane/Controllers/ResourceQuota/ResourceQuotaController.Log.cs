using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.ResourceQuota;

public sealed partial class ResourceQuotaController
{
    [LoggerMessage(EventId = 6901, Level = LogLevel.Debug, Message = "ResourceQuota {Namespace}/{Name} status updated with {Count} resources in use.")]
    private static partial void LogUpdated(ILogger logger, string @namespace, string name, int count);
}
