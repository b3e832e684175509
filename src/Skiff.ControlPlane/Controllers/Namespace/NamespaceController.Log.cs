using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.Namespace;

public sealed partial class NamespaceController
{
    [LoggerMessage(EventId = 6101, Level = LogLevel.Debug, Message = "Namespace {Namespace} still holds {Count} objects that are going away.")]
    private static partial void LogWaiting(ILogger logger, string @namespace, int count);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Information, Message = "Namespace {Namespace} is empty; removed its kubernetes finalizer.")]
    private static partial void LogFinalized(ILogger logger, string @namespace);
}
