using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Volumes;

/// <summary>
/// Materialises a pod's volumes on the node (under <c>&lt;data dir&gt;/pods/&lt;uid&gt;/volumes</c>) and gives each
/// container its CRI mounts. Not implemented yet: no volume is prepared and no container gets a mount.
/// </summary>
public sealed class VolumeManager
{
    private readonly IKubernetes _client;
    private readonly KubeletOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public VolumeManager(IKubernetes client, KubeletOptions options, ILogger logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _client = client;
        _options = options;
        _logger = logger;
        _time = timeProvider;
    }

    /// <summary>Prepares every volume of the pod before its sandbox starts; a volume that cannot be prepared throws.</summary>
    public Task<PodVolumes> PrepareAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        _ = (_client, _options, _logger, _time);
        return Task.FromResult(new PodVolumes());
    }

    /// <summary>Brings the contents of a running pod's configMap, secret, downwardAPI and projected volumes up to date.</summary>
    public Task RefreshAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        _ = _options;
        return Task.CompletedTask;
    }

    /// <summary>Removes the pod's volume directories after its sandbox is gone.</summary>
    public void Cleanup(string podUid)
    {
        ArgumentNullException.ThrowIfNull(podUid);
        _ = _options;
    }
}

/// <summary>The prepared volumes of one pod.</summary>
public sealed class PodVolumes
{
    private readonly Dictionary<string, IReadOnlyList<Mount>> _byContainer = [];

    /// <summary>The CRI mounts of <paramref name="container"/>, from its volumeMounts.</summary>
    public IReadOnlyList<Mount> MountsFor(V1Container container)
    {
        ArgumentNullException.ThrowIfNull(container);
        return _byContainer.GetValueOrDefault(container.Name) ?? [];
    }
}
