using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.EndpointSlice;

public sealed partial class EndpointSliceController
{
    [LoggerMessage(EventId = 6820, Level = LogLevel.Debug, Message = "EndpointSlices of Service {Namespace}/{Name}: creating {Created}, updating {Updated}, deleting {Deleted}.")]
    private static partial void LogApplying(ILogger logger, string @namespace, string name, int created, int updated, int deleted);
}
