using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.GarbageCollector;

public sealed partial class GarbageCollectorController
{
    [LoggerMessage(EventId = 6700, Level = LogLevel.Information, Message = "Watching {Count} resources for ownerReferences.")]
    private static partial void LogWatching(ILogger logger, int count);

    [LoggerMessage(EventId = 6701, Level = LogLevel.Information, Message = "Deleting {Item} (propagationPolicy {Policy}): {Why}.")]
    private static partial void LogDeleting(ILogger logger, GraphKey item, string policy, string why);

    [LoggerMessage(EventId = 6702, Level = LogLevel.Information, Message = "Removing ownerReferences {Owners} from {Item}.")]
    private static partial void LogRemovingOwners(ILogger logger, OwnerList owners, GraphKey item);

    [LoggerMessage(EventId = 6703, Level = LogLevel.Information, Message = "Removed the {Finalizer} finalizer from {Item}.")]
    private static partial void LogFinalizerRemoved(ILogger logger, string finalizer, GraphKey item);

    [LoggerMessage(EventId = 6704, Level = LogLevel.Debug, Message = "{Item} waits for {Count} dependents with blockOwnerDeletion.")]
    private static partial void LogWaitingForDependents(ILogger logger, GraphKey item, int count);

    [LoggerMessage(EventId = 6705, Level = LogLevel.Warning, Message = "{Item} names an owner of unknown kind {ApiVersion} {Kind}; it is kept.")]
    private static partial void LogUnknownOwnerKind(ILogger logger, GraphKey item, string apiVersion, string kind);

    [LoggerMessage(EventId = 6706, Level = LogLevel.Information, Message = "Unblocking ownerReferences {Owners} of {Item}, whose other owners keep it.")]
    private static partial void LogUnblocking(ILogger logger, OwnerList owners, GraphKey item);
}
