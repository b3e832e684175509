using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Kubelet.Volumes;

/// <summary>The volume manager's log messages (event ids 8100–8109).</summary>
public sealed partial class VolumeManager
{
    [LoggerMessage(8100, LogLevel.Debug, "volume {Volume} of pod {Namespace}/{Name} prepared at {Path}")]
    private static partial void VolumePrepared(ILogger logger, string volume, string @namespace, string name, string path);

    [LoggerMessage(8101, LogLevel.Information, "volume {Volume} of pod {Namespace}/{Name} updated")]
    private static partial void VolumeUpdated(ILogger logger, string volume, string @namespace, string name);

    [LoggerMessage(8102, LogLevel.Warning, "refreshing volume {Volume} of pod {Namespace}/{Name} failed; keeping its contents and retrying")]
    private static partial void RefreshFailed(ILogger logger, string volume, string @namespace, string name, Exception exception);

    [LoggerMessage(8103, LogLevel.Warning, "cleaning up the volumes of pod uid {Uid} failed; the next cleanup tries again")]
    private static partial void CleanupFailed(ILogger logger, string uid, Exception exception);

    [LoggerMessage(8104, LogLevel.Debug, "requested a service account token for volume {Volume} of pod {Namespace}/{Name}, expiring at {Expires}")]
    private static partial void TokenIssued(ILogger logger, string volume, string @namespace, string name, DateTimeOffset expires);

    [LoggerMessage(8105, LogLevel.Warning, "recording a FailedMount event for pod {Namespace}/{Name} failed")]
    private static partial void EventFailed(ILogger logger, string @namespace, string name, Exception exception);
}
