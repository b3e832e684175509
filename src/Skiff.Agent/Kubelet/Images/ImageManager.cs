using Grpc.Core;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Images;

/// <summary>Makes sure a container's image is on the node: ImageStatus, then PullImage when it is absent.</summary>
public sealed class ImageManager
{
    private readonly CriClient _cri;
    private readonly IKubernetes _client;
    private readonly KubeletOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public ImageManager(CriClient cri, IKubernetes client, KubeletOptions options, ILogger logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(cri);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _cri = cri;
        _client = client;
        _options = options;
        _logger = logger;
        _time = timeProvider;
    }

    /// <summary>Ready when the image is present (pulled if needed); otherwise the container's waiting reason and message.</summary>
    public async Task<ImageResult> EnsureImageAsync(V1Pod pod, V1Container container, PodSandboxConfig sandboxConfig, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(container);
        _ = (_client, _options, _time);
        var spec = new ImageSpec { Image = container.Image };
        try
        {
            var present = await _cri.Images.ImageStatusAsync(new ImageStatusRequest { Image = spec }, _cri.Options(cancellationToken)).ConfigureAwait(false);
            if (present.Image is not null)
            {
                return ImageResult.Present(present.Image.Id);
            }

            var pulled = await _cri.Images.PullImageAsync(new PullImageRequest { Image = spec, SandboxConfig = sandboxConfig }, _cri.Options(cancellationToken, TimeSpan.FromMinutes(5)))
                .ConfigureAwait(false);
            return ImageResult.Present(pulled.ImageRef);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            KubeletLog.ImagePullFailed(_logger, container.Image, pod.Metadata.NamespaceProperty, pod.Metadata.Name, e);
            return ImageResult.Failed("ErrImagePull", e.Status.Detail);
        }
    }
}

/// <summary>The outcome of <see cref="ImageManager.EnsureImageAsync"/>.</summary>
public sealed record ImageResult(bool Ready, string? ImageRef, string? Reason, string? Message)
{
    public static ImageResult Present(string imageRef) => new(true, imageRef, null, null);

    public static ImageResult Failed(string reason, string message) => new(false, null, reason, message);
}
