using Microsoft.Extensions.Logging;

namespace Skiff.ApiServer.CustomResources;

internal sealed partial class CustomResourceDefinitionController
{
    [LoggerMessage(EventId = 2400, Level = LogLevel.Information, Message = "Serving custom resource {Plural}.{Group} for CustomResourceDefinition {Name}.")]
    private static partial void LogServing(ILogger logger, string name, string group, string plural);

    [LoggerMessage(EventId = 2401, Level = LogLevel.Information, Message = "Stopped serving the kind of CustomResourceDefinition {Name}.")]
    private static partial void LogStopped(ILogger logger, string name);

    [LoggerMessage(EventId = 2402, Level = LogLevel.Information, Message = "CustomResourceDefinition {Name}: names not accepted ({Reason}: {Message}).")]
    private static partial void LogNamesNotAccepted(ILogger logger, string name, string reason, string message);

    [LoggerMessage(EventId = 2403, Level = LogLevel.Information, Message = "CustomResourceDefinition {Name}: {Remaining} objects are still being deleted.")]
    private static partial void LogWaitingForObjects(ILogger logger, string name, int remaining);

    [LoggerMessage(EventId = 2404, Level = LogLevel.Information, Message = "CustomResourceDefinition {Name}: its objects are deleted; removed the cleanup finalizer.")]
    private static partial void LogFinalized(ILogger logger, string name);

    [LoggerMessage(EventId = 2405, Level = LogLevel.Warning, Message = "CustomResourceDefinition {Name} could not be reconciled; retrying.")]
    private static partial void LogRetry(ILogger logger, string name, Exception exception);

    [LoggerMessage(EventId = 2406, Level = LogLevel.Warning, Message = "The resource catalog is not extensible; CustomResourceDefinitions are stored but their kinds are not served.")]
    private static partial void LogDisabled(ILogger logger);
}
