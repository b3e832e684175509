using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Kubelet.Cgroups;

/// <summary>
/// The pod-level cgroups: one per pod under its QoS class (Guaranteed, Burstable, BestEffort), created and limited before
/// the sandbox and removed after it. Not implemented yet: <see cref="Ensure"/> answers "" (the runtime's default parent).
/// </summary>
public sealed class PodCgroups
{
    private readonly KubeletOptions _options;
    private readonly ILogger _logger;

    public PodCgroups(KubeletOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _logger = logger;
    }

    /// <summary>Creates (or updates) the pod's cgroup and returns the sandbox's cgroup_parent.</summary>
    public string Ensure(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        _ = _options;
        _ = _logger;
        return "";
    }

    /// <summary>Removes the cgroup of the pod with <paramref name="podUid"/> once its sandbox is gone.</summary>
    public void Remove(string podUid)
    {
        ArgumentNullException.ThrowIfNull(podUid);
        _ = _options;
    }
}
