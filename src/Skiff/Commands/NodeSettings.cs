using System.Net;
using k8s.Models;
using Skiff.Agent.Kubelet;

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
}
