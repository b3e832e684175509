using System.Net;

namespace Skiff.Agent.Network;

/// <summary>How nodes' pod subnets are joined: routes on a shared L2 segment, a VXLAN overlay, or per peer whichever works.</summary>
public enum PodNetworkBackend
{
    /// <summary>host-gw towards peers whose address is on a directly connected subnet, VXLAN towards the others.</summary>
    Auto,

    /// <summary>A route to each peer's pod CIDR via its InternalIP (all nodes on one L2 segment).</summary>
    HostGw,

    /// <summary>A VXLAN device (flannel's scheme: VNI 1, UDP 8472) with a route, neighbour and FDB entry per peer.</summary>
    Vxlan,

    /// <summary>Nothing across nodes (the agent only writes the bridge for its own pods).</summary>
    None,
}

/// <summary>What <see cref="PodNetwork"/> sets up on one node.</summary>
public sealed record PodNetworkOptions
{
    public required string NodeName { get; init; }

    /// <summary>The node's InternalIP: peers reach this node's pods through it (host-gw next hop, VXLAN underlay).</summary>
    public required IPAddress NodeIp { get; init; }

    /// <summary>This node's spec.podCIDR.</summary>
    public required IPNetwork PodCidr { get; init; }

    /// <summary>The whole cluster's pod network.</summary>
    public required IPNetwork ClusterCidr { get; init; }

    /// <summary>The CNI bridge (cni0 on a real node; unique per data dir when several agents share one host, as in tests).</summary>
    public required string BridgeName { get; init; }

    public PodNetworkBackend Backend { get; init; } = PodNetworkBackend.Auto;

    /// <summary>The VXLAN device's name (at most 15 characters).</summary>
    public string VxlanDevice { get; init; } = "skiff.1";

    public int VxlanId { get; init; } = 1;

    public int VxlanPort { get; init; } = 8472;

    /// <summary>How often every route, VXLAN entry, the device and the iptables rules are written again (repairing what was removed by hand).</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the network tools run (a test namespace, or <see cref="NetCommand.Host"/>).</summary>
    public NetCommand Command { get; init; } = NetCommand.Host;

    /// <summary>The first address of <see cref="PodCidr"/>: the bridge's (the pods' gateway), where this node's DNS server also listens.</summary>
    public IPAddress Gateway
    {
        get
        {
            byte[] bytes = PodCidr.BaseAddress.GetAddressBytes();
            bytes[^1]++;
            return new IPAddress(bytes);
        }
    }
}
