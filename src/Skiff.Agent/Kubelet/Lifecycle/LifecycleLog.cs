using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Kubelet.Lifecycle;

/// <summary>The pod lifecycle's log messages (event ids 8061–8079).</summary>
internal static partial class LifecycleLog
{
    [LoggerMessage(8061, LogLevel.Debug, "{Kind} probe of container {Container} in pod {Namespace}/{Name} failed: {Message}")]
    public static partial void ProbeFailed(ILogger logger, ProbeKind kind, string @namespace, string name, string container, string message);

    [LoggerMessage(8062, LogLevel.Information, "container {Container} in pod {Namespace}/{Name} failed its {Kind} probe and will be restarted")]
    public static partial void Unhealthy(ILogger logger, string container, string @namespace, string name, ProbeKind kind);

    [LoggerMessage(8063, LogLevel.Information, "started container {Container} (attempt {Attempt}) in pod {Namespace}/{Name}")]
    public static partial void ContainerStarted(ILogger logger, string container, uint attempt, string @namespace, string name);

    [LoggerMessage(8064, LogLevel.Information, "{Hook} hook of container {Container} in pod {Namespace}/{Name} failed: {Message}")]
    public static partial void HookFailed(ILogger logger, string hook, string container, string @namespace, string name, string message);

    [LoggerMessage(8065, LogLevel.Debug, "container {Container} in pod {Namespace}/{Name} is in back-off: {Message}")]
    public static partial void BackOff(ILogger logger, string container, string @namespace, string name, string message);

    [LoggerMessage(8066, LogLevel.Information, "pod {Namespace}/{Name} adopted from the runtime (sandbox {Sandbox})")]
    public static partial void Adopted(ILogger logger, string @namespace, string name, string sandbox);

    [LoggerMessage(8067, LogLevel.Warning, "syncing pod {Namespace}/{Name} failed; retrying on the next relist")]
    public static partial void SyncFailed(ILogger logger, string @namespace, string name, Exception exception);

    [LoggerMessage(8068, LogLevel.Information, "pod {Namespace}/{Name} finished; its sandbox is stopped")]
    public static partial void PodFinished(ILogger logger, string @namespace, string name);

    [LoggerMessage(8069, LogLevel.Debug, "reading the termination message of container {Container} failed")]
    public static partial void TerminationMessageFailed(ILogger logger, string container, Exception exception);
}
