using System.Net;
using k8s.Models;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Network;

namespace Skiff.Commands;

/// <summary>The node agent's flags, shared by <c>skiff server</c> (its embedded agent) and <c>skiff agent</c>.</summary>
internal sealed record NodeSettings
{
    /// <summary>The node's InternalIP; null: the machine's first non-loopback IPv4 address.</summary>
    public IPAddress? NodeIp { get; init; }

    /// <summary>An existing CRI socket to use instead of starting containerd; null: the agent runs its own containerd.</summary>
    public string? ContainerRuntimeEndpoint { get; init; }

    /// <summary>A registries.yaml-style file handed to containerd and the kubelet; null: none.</summary>
    public string? RegistriesFile { get; init; }

    public int KubeletPort { get; init; } = 10250;

    public IReadOnlyDictionary<string, ResourceQuantity> KubeReserved { get; init; } = new Dictionary<string, ResourceQuantity>();

    public IReadOnlyDictionary<string, ResourceQuantity> SystemReserved { get; init; } = new Dictionary<string, ResourceQuantity>();

    public EvictionThresholds EvictionHard { get; init; } = EvictionThresholds.Default;

    /// <summary>How this node's pod subnet is joined to the others' (<c>--flannel-backend</c>, k3s' flag).</summary>
    public PodNetworkBackend FlannelBackend { get; init; } = PodNetworkBackend.Auto;

    /// <summary>No Service proxy on this node (<c>--disable-kube-proxy</c>, k3s' flag).</summary>
    public bool DisableKubeProxy { get; init; }

    /// <summary>No NetworkPolicy enforcement on this node (<c>--disable-network-policy</c>, k3s' flag).</summary>
    public bool DisableNetworkPolicy { get; init; }

    /// <summary>No cluster DNS server on this node (<c>--disable-cluster-dns</c>); pods still get the kube-dns address.</summary>
    public bool DisableClusterDns { get; init; }

    /// <summary>The resolver file pods with dnsPolicy Default get and the cluster DNS forwards other names to (<c>--resolv-conf</c>).</summary>
    public string ResolvConf { get; init; } = "/etc/resolv.conf";
}
