using k8s.Models;

namespace Skiff.ControlPlane.Scheduling.Framework;

/// <summary>
/// One node as the scheduler sees it in a cycle: the Node, the pods bound (or assumed) to it, and what they request. The
/// scheduler cache keeps one per node and hands plugins an immutable snapshot of them; plugins never write to it.
/// </summary>
public sealed class NodeInfo
{
    private readonly List<V1Pod> _pods = [];

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

    public IReadOnlyList<V1Pod> Pods => _pods;

    /// <summary>hostPorts in use, as (protocol, hostIP, port); hostIP "0.0.0.0" when unset.</summary>
    public HashSet<(string Protocol, string HostIp, int Port)> UsedPorts { get; } = [];

    /// <summary>Pods here that declare pod affinity or anti-affinity terms (InterPodAffinity looks only at these).</summary>
    public IEnumerable<V1Pod> PodsWithAffinity => _pods.Where(p => p.Spec?.Affinity?.PodAffinity is not null || p.Spec?.Affinity?.PodAntiAffinity is not null);

    public void AddPod(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        _pods.Add(pod);
        Requested = Requested.Add(PodRequests.Of(pod));
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
        Requested = Requested.Add(PodRequests.Of(removed).Negate());
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
