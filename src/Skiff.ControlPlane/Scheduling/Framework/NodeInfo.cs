using System.Runtime.CompilerServices;
using k8s.Models;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Scheduling.Framework;

/// <summary>
/// One node as the scheduler sees it in a cycle: the Node, the pods bound (or assumed) to it, and what they request. The
/// scheduler cache keeps one per node and hands plugins an immutable snapshot of them; plugins never write to it. The sums
/// scoring needs (requested, non-zero requested) and the pods with affinity terms are kept up to date on every add and remove,
/// so a Filter or Score call on a node costs the same whatever the number of pods on it.
/// </summary>
public sealed class NodeInfo
{
    // What a pod requests, remembered per pod object: the scheduler never mutates a pod, and a node's NodeInfo is rebuilt
    // (each pod added again) every time that node changes.
    private static readonly ConditionalWeakTable<V1Pod, Resources> s_requests = [];

    private readonly List<V1Pod> _pods = [];
    private readonly List<V1Pod> _podsWithAffinity = [];

    public NodeInfo(V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        Node = node;
        Allocatable = Resources.Allocatable(node);
    }

    public V1Node Node { get; }

    public string Name => Node.Metadata.Name;

    public Resources Allocatable { get; }

    /// <summary>The sum of <see cref="PodRequests.Of(V1Pod)"/> over <see cref="Pods"/> (Pods counts them).</summary>
    public Resources Requested { get; private set; } = Resources.Zero;

    /// <summary>The sum of <see cref="NonZeroRequests.Of(V1Pod)"/>'s cpu and memory over <see cref="Pods"/> (upstream's NonZeroRequested).</summary>
    public (long MilliCpu, long Memory) NonZeroRequested { get; private set; }

    public IReadOnlyList<V1Pod> Pods => _pods;

    /// <summary>hostPorts in use, as (protocol, hostIP, port); hostIP "0.0.0.0" when unset.</summary>
    public HashSet<(string Protocol, string HostIp, int Port)> UsedPorts { get; } = [];

    /// <summary>Pods here that declare pod affinity or anti-affinity terms (InterPodAffinity looks only at these).</summary>
    public IReadOnlyList<V1Pod> PodsWithAffinity => _podsWithAffinity;

    /// <summary>True when <see cref="PodsWithAffinity"/> is not empty.</summary>
    public bool HasPodsWithAffinity => _podsWithAffinity.Count > 0;

    public void AddPod(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        _pods.Add(pod);
        Requested = Requested.Add(s_requests.GetValue(pod, PodRequests.Of));
        Resources nonZero = NonZeroRequests.Of(pod);
        NonZeroRequested = (NonZeroRequested.MilliCpu + nonZero.MilliCpu, NonZeroRequested.Memory + nonZero.Memory);
        if (HasAffinity(pod))
        {
            _podsWithAffinity.Add(pod);
        }

        foreach ((string protocol, string hostIp, int port) in HostPorts(pod))
        {
            UsedPorts.Add((protocol, hostIp, port));
        }
    }

    /// <summary>Removes the pod with <paramref name="pod"/>'s uid; false if it is not here.</summary>
    public bool RemovePod(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        int index = _pods.FindIndex(p => p.Metadata.Uid == pod.Metadata.Uid);
        if (index < 0)
        {
            return false;
        }

        V1Pod removed = _pods[index];
        _pods.RemoveAt(index);
        Requested = Requested.Add(s_requests.GetValue(removed, PodRequests.Of).Negate());
        Resources nonZero = NonZeroRequests.Of(removed);
        NonZeroRequested = (NonZeroRequested.MilliCpu - nonZero.MilliCpu, NonZeroRequested.Memory - nonZero.Memory);
        _podsWithAffinity.Remove(removed);
        UsedPorts.Clear();
        foreach (V1Pod remaining in _pods)
        {
            foreach ((string protocol, string hostIp, int port) in HostPorts(remaining))
            {
                UsedPorts.Add((protocol, hostIp, port));
            }
        }

        return true;
    }

    /// <summary>A copy that can change (an assumed pod, a preemption what-if) without touching this one.</summary>
    public NodeInfo Clone()
    {
        var copy = new NodeInfo(Node);
        foreach (V1Pod pod in _pods)
        {
            copy.AddPod(pod);
        }

        return copy;
    }

    private static bool HasAffinity(V1Pod pod) => pod.Spec?.Affinity?.PodAffinity is not null || pod.Spec?.Affinity?.PodAntiAffinity is not null;

    /// <summary>The pod's hostPorts as (protocol, hostIP, port), with upstream's defaults (TCP, 0.0.0.0).</summary>
    public static IEnumerable<(string Protocol, string HostIp, int Port)> HostPorts(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        IEnumerable<V1Container> containers = (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []);
        foreach (V1Container container in containers)
        {
            foreach (V1ContainerPort port in container.Ports ?? [])
            {
                if (port.HostPort is int hostPort and > 0)
                {
                    yield return (port.Protocol ?? "TCP", string.IsNullOrEmpty(port.HostIP) ? "0.0.0.0" : port.HostIP, hostPort);
                }
            }
        }
    }
}
