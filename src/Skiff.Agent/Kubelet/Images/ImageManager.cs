using System.Globalization;
using Grpc.Core;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Images;

/// <summary>
/// Makes sure a container's image is on the node, following its imagePullPolicy as the kubelet does: Always pulls at every
/// start (the registry resolves the tag to a digest again), IfNotPresent pulls only when ImageStatus has none, Never never pulls
/// (<c>ErrImageNeverPull</c>). A failed pull reports <c>ErrImagePull</c> with the runtime's message, and until its back-off
/// (per pod and image: <see cref="KubeletOptions.ImagePullBackOff"/>, doubling to <see cref="KubeletOptions.ImagePullBackOffMax"/>)
/// has passed, <c>ImagePullBackOff</c> without pulling. Credentials come from the pod's imagePullSecrets and the registries file.
/// </summary>
public sealed partial class ImageManager
{
    private readonly CriClient _cri;
    private readonly IKubernetes _client;
    private readonly KubeletOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _backOffLock = new();
    private readonly Dictionary<string, BackOffEntry> _backOff = [];

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
        string image = container.Image ?? "";
        ImageReference reference;
        try
        {
            reference = ImageReference.Parse(image);
        }
        catch (ArgumentException)
        {
            return ImageResult.Failed("InvalidImageName", $"Failed to apply default image tag \"{image}\": couldn't parse image name \"{image}\": invalid reference format");
        }

        string policy = container.ImagePullPolicy ?? ImageReference.DefaultPullPolicy(image);
        var spec = new ImageSpec { Image = image };
        try
        {
            if (policy != "Always")
            {
                var present = await _cri.Images.ImageStatusAsync(new ImageStatusRequest { Image = spec }, _cri.Options(cancellationToken)).ConfigureAwait(false);
                if (present.Image is not null)
                {
                    return ImageResult.Present(present.Image.Id);
                }

                if (policy == "Never")
                {
                    return ImageResult.Failed("ErrImageNeverPull", $"Container image \"{image}\" is not present with pull policy of Never");
                }
            }
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return ImageResult.Failed("ImageInspectError", $"Failed to inspect image \"{image}\": {RpcMessage(e)}");
        }

        string key = pod.Metadata?.Uid + "_" + image;
        if (IsInBackOff(key))
        {
            return ImageResult.Failed("ImagePullBackOff", $"Back-off pulling image \"{image}\"");
        }

        return await PullAsync(pod, reference, spec, sandboxConfig, key, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ImageResult> PullAsync(V1Pod pod, ImageReference reference, ImageSpec spec, PodSandboxConfig sandboxConfig, string backOffKey,
        CancellationToken cancellationToken)
    {
        string ns = pod.Metadata?.NamespaceProperty ?? "default";
        string name = pod.Metadata?.Name ?? "";
        IReadOnlyList<RegistryCredential?> credentials = await CredentialsAsync(pod, reference, cancellationToken).ConfigureAwait(false);
        long started = _time.GetTimestamp();
        RpcException? failure = null;
        foreach (RegistryCredential? credential in credentials)
        {
            if (credential is not null)
            {
                PullingWith(_logger, spec.Image, credential.ToString());
            }

            try
            {
                var request = new PullImageRequest { Image = spec, SandboxConfig = sandboxConfig, Auth = credential?.ToAuthConfig() };
                var pulled = await _cri.Images.PullImageAsync(request, _cri.Options(cancellationToken, TimeSpan.FromMinutes(5))).ConfigureAwait(false);
                Pulled(_logger, spec.Image, ns, name, (long)_time.GetElapsedTime(started).TotalMilliseconds);
                ClearBackOff(backOffKey);
                return ImageResult.Present(pulled.ImageRef);
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                failure = e;
            }
        }

        // credentials always holds at least one entry (null: anonymous), so a failure was recorded.
        TimeSpan delay = RecordFailure(backOffKey);
        PullFailed(_logger, spec.Image, ns, name, delay.TotalSeconds, failure!);
        return ImageResult.Failed("ErrImagePull", RpcMessage(failure!));
    }

    /// <summary>The message the kubelet shows for a CRI error: Go's rendering of a gRPC status.</summary>
    private static string RpcMessage(RpcException e) =>
        string.Create(CultureInfo.InvariantCulture, $"rpc error: code = {e.StatusCode} desc = {e.Status.Detail}");

    private bool IsInBackOff(string key)
    {
        lock (_backOffLock)
        {
            return _backOff.TryGetValue(key, out BackOffEntry? entry) && _time.GetUtcNow() - entry.LastFailure < entry.Delay;
        }
    }

    /// <summary>The first failure (or one long after the last) waits the base delay; each further one doubles it up to the maximum.</summary>
    private TimeSpan RecordFailure(string key)
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_backOffLock)
        {
            // Forget entries nobody retried for a long time (pods gone), as upstream's back-off garbage collection does.
            foreach (string stale in _backOff.Where(e => now - e.Value.LastFailure > 2 * _options.ImagePullBackOffMax).Select(e => e.Key).ToList())
            {
                _backOff.Remove(stale);
            }

            TimeSpan delay = _backOff.TryGetValue(key, out BackOffEntry? entry)
                ? TimeSpan.FromTicks(Math.Min(entry.Delay.Ticks * 2, _options.ImagePullBackOffMax.Ticks))
                : _options.ImagePullBackOff;
            _backOff[key] = new BackOffEntry(now, delay);
            return delay;
        }
    }

    private void ClearBackOff(string key)
    {
        lock (_backOffLock)
        {
            _backOff.Remove(key);
        }
    }

    private sealed record BackOffEntry(DateTimeOffset LastFailure, TimeSpan Delay);
}
