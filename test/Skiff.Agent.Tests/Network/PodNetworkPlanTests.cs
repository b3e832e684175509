using System.Net;
using k8s.Models;
using Skiff.Agent.Network;

namespace Skiff.Agent.Tests.Network;

/// <summary>The pure planning part of <see cref="PodNetwork"/>: which peers get host-gw or VXLAN entries, and what a change removes.</summary>
public sealed class PodNetworkPlanTests
{
    private static readonly IPAddress Lan = IPAddress.Parse("192.168.5.0");

    private static PodNetworkOptions Options(PodNetworkBackend backend) => new()
    {
        NodeName = "a",
        NodeIp = IPAddress.Parse("192.168.5.1"),
        PodCidr = IPNetwork.Parse("10.42.0.0/24"),
        ClusterCidr = IPNetwork.Parse("10.42.0.0/16"),
        BridgeName = "cni0",
        Backend = backend,
    };

    private static V1Node Node(string name, string? podCidr, string? ip, string? mac = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Annotations = mac is null ? null : new Dictionary<string, string> { [PodNetwork.VtepMacAnnotation] = mac },
        },
        Spec = new V1NodeSpec { PodCIDR = podCidr },
        Status = new V1NodeStatus
        {
            Addresses = ip is null ? [new V1NodeAddress { Address = "b-host", Type = "Hostname" }] : [new V1NodeAddress { Address = "b-host", Type = "Hostname" }, new V1NodeAddress { Address = ip, Type = "InternalIP" }],
        },
    };

    /// <summary>Peers on 192.168.5.0/24 count as directly connected, everything else as routed.</summary>
    private static bool SameLan(IPAddress ip) => new IPNetwork(Lan, 24).Contains(ip);

    [Fact]
    public void Plan_HostGw_RoutesEveryOtherNodeViaItsInternalIp()
    {
        V1Node[] nodes = [Node("a", "10.42.0.0/24", "192.168.5.1"), Node("b", "10.42.1.0/24", "192.168.5.2"), Node("c", "10.42.2.0/24", "172.16.0.3")];

        IReadOnlyList<PeerRoute> plan = PodNetworkPlan.Plan(Options(PodNetworkBackend.HostGw), nodes, SameLan);

        Assert.Equal(
            [
                new PeerRoute("b", IPNetwork.Parse("10.42.1.0/24"), IPAddress.Parse("192.168.5.2"), PeerRouteKind.HostGw, null),
                new PeerRoute("c", IPNetwork.Parse("10.42.2.0/24"), IPAddress.Parse("172.16.0.3"), PeerRouteKind.HostGw, null),
            ],
            plan);
    }

    [Fact]
    public void Plan_Auto_UsesHostGwOnTheLanAndVxlanForRoutedPeers()
    {
        V1Node[] nodes = [Node("b", "10.42.1.0/24", "192.168.5.2", "AA:00:00:00:00:0B"), Node("c", "10.42.2.0/24", "172.16.0.3", "aa:00:00:00:00:0c")];

        IReadOnlyList<PeerRoute> plan = PodNetworkPlan.Plan(Options(PodNetworkBackend.Auto), nodes, SameLan);

        Assert.Equal(PeerRouteKind.HostGw, plan.Single(p => p.NodeName == "b").Kind);
        PeerRoute c = plan.Single(p => p.NodeName == "c");
        Assert.Equal(PeerRouteKind.Vxlan, c.Kind);
        Assert.Equal("aa:00:00:00:00:0c", c.VtepMac);
        Assert.Equal(IPAddress.Parse("10.42.2.0"), c.VtepAddress);
    }

    [Fact]
    public void Plan_Vxlan_WaitsForAPeersVtepMac()
    {
        V1Node[] nodes = [Node("b", "10.42.1.0/24", "192.168.5.2"), Node("c", "10.42.2.0/24", "192.168.5.3", "aa:00:00:00:00:0c")];

        IReadOnlyList<PeerRoute> plan = PodNetworkPlan.Plan(Options(PodNetworkBackend.Vxlan), nodes, SameLan);

        PeerRoute only = Assert.Single(plan);
        Assert.Equal(("c", PeerRouteKind.Vxlan), (only.NodeName, only.Kind));
    }

    [Fact]
    public void Plan_SkipsNodesWithoutPodCidrOrInternalIpAndOverlappingCidrs()
    {
        V1Node[] nodes =
        [
            Node("no-cidr", null, "192.168.5.4"),
            Node("no-ip", "10.42.4.0/24", null),
            Node("mine", "10.42.0.0/25", "192.168.5.5"),
            Node("b", "10.42.1.0/24", "192.168.5.2"),
            Node("b-dup", "10.42.1.0/24", "192.168.5.6"),
            Node("same-ip", "10.42.7.0/24", "192.168.5.1"),
        ];

        IReadOnlyList<PeerRoute> plan = PodNetworkPlan.Plan(Options(PodNetworkBackend.HostGw), nodes, SameLan);

        Assert.Equal("b", Assert.Single(plan).NodeName);
    }

    [Fact]
    public void Plan_None_PlansNothing()
    {
        Assert.Empty(PodNetworkPlan.Plan(Options(PodNetworkBackend.None), [Node("b", "10.42.1.0/24", "192.168.5.2")], SameLan));
    }

    [Fact]
    public void Diff_DeletedNode_IsRemovedAndNothingAdded()
    {
        PodNetworkOptions options = Options(PodNetworkBackend.HostGw);
        IReadOnlyList<PeerRoute> before = PodNetworkPlan.Plan(options, [Node("b", "10.42.1.0/24", "192.168.5.2"), Node("c", "10.42.2.0/24", "192.168.5.3")], SameLan);
        IReadOnlyList<PeerRoute> after = PodNetworkPlan.Plan(options, [Node("b", "10.42.1.0/24", "192.168.5.2")], SameLan);

        var (remove, add) = PodNetworkPlan.Diff(before, after);

        Assert.Equal("c", Assert.Single(remove).NodeName);
        Assert.Empty(add);
    }

    [Fact]
    public void Diff_ChangedPodCidrOrMac_RemovesTheOldEntryAndAddsTheNew()
    {
        PodNetworkOptions options = Options(PodNetworkBackend.Vxlan);
        IReadOnlyList<PeerRoute> before = PodNetworkPlan.Plan(options, [Node("b", "10.42.1.0/24", "192.168.5.2", "aa:00:00:00:00:01")], SameLan);
        IReadOnlyList<PeerRoute> moved = PodNetworkPlan.Plan(options, [Node("b", "10.42.9.0/24", "192.168.5.2", "aa:00:00:00:00:01")], SameLan);
        IReadOnlyList<PeerRoute> newMac = PodNetworkPlan.Plan(options, [Node("b", "10.42.1.0/24", "192.168.5.2", "aa:00:00:00:00:02")], SameLan);

        var (remove, add) = PodNetworkPlan.Diff(before, moved);
        Assert.Equal(IPNetwork.Parse("10.42.1.0/24"), Assert.Single(remove).PodCidr);
        Assert.Equal(IPNetwork.Parse("10.42.9.0/24"), Assert.Single(add).PodCidr);

        (remove, add) = PodNetworkPlan.Diff(before, newMac);
        Assert.Equal("aa:00:00:00:00:01", Assert.Single(remove).VtepMac);
        Assert.Equal("aa:00:00:00:00:02", Assert.Single(add).VtepMac);
        (remove, add) = PodNetworkPlan.Diff(before, before);
        Assert.Empty(remove);
        Assert.Empty(add);
    }
}
