using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.KubeDns;

public sealed partial class KubeDnsEndpointsController
{
    [LoggerMessage(EventId = 7310, Level = LogLevel.Information, Message = "kube-system/kube-dns now lists {Count} DNS servers: {Servers}.")]
    private static partial void LogWritten(ILogger logger, int count, string servers);

    [LoggerMessage(EventId = 7311, Level = LogLevel.Information, Message = "Deleted the {Kind} kube-system/kube-dns: the kube-dns Service is gone.")]
    private static partial void LogDeleted(ILogger logger, string kind);
}
