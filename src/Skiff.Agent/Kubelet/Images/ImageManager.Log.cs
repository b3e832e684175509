using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Kubelet.Images;

/// <summary>The image manager's log messages (event ids 8120–8129).</summary>
public sealed partial class ImageManager
{
    [LoggerMessage(8120, LogLevel.Information, "pulled image {Image} for pod {Namespace}/{Name} in {Milliseconds} ms")]
    private static partial void Pulled(ILogger logger, string image, string @namespace, string name, long milliseconds);

    [LoggerMessage(8121, LogLevel.Warning, "pulling image {Image} for pod {Namespace}/{Name} failed; next attempt in {Seconds:F0} s")]
    private static partial void PullFailed(ILogger logger, string image, string @namespace, string name, double seconds, Exception exception);

    [LoggerMessage(8122, LogLevel.Warning, "image pull secret {Namespace}/{Secret} of pod {Name} cannot be used: {Problem}")]
    private static partial void PullSecretUnusable(ILogger logger, string @namespace, string secret, string name, string problem);

    [LoggerMessage(8124, LogLevel.Warning, "the registries file {Path} cannot be read; pulling without its credentials")]
    private static partial void RegistriesFileUnreadable(ILogger logger, string path, Exception exception);

    [LoggerMessage(8125, LogLevel.Debug, "pulling image {Image} with the {Credential}")]
    private static partial void PullingWith(ILogger logger, string image, string credential);
}
