using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Kubelet.Cgroups;

/// <summary>The pod cgroups' log messages (event ids 8110–8119).</summary>
internal static partial class CgroupLog
{
    [LoggerMessage(8110, LogLevel.Warning, "creating the pod cgroup {Path} failed")]
    public static partial void EnsureFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(8111, LogLevel.Debug, "removed pod cgroup {Dir}")]
    public static partial void Removed(ILogger logger, string dir);

    [LoggerMessage(8112, LogLevel.Warning, "removing the pod cgroup {Dir} failed")]
    public static partial void RemoveFailed(ILogger logger, string dir, Exception exception);
}
