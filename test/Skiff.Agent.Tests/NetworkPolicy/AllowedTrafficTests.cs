using k8s.Models;
using Skiff.Agent.NetworkPolicy;

namespace Skiff.Agent.Tests.NetworkPolicy;

/// <summary>The policy → allowed-traffic mapping, on model objects only (no cluster, no iptables).</summary>
public sealed class AllowedTrafficTests
{
    private static readonly V1Pod s_server = Pod("web", "server", "10.1.0.10", new() { ["app"] = "server" }, ("http", 8080), ("metrics", 9090));
    private static readonly V1Pod s_client = Pod("web", "client", "10.1.0.11", new() { ["app"] = "client" }, ("http", 80));
    private static readonly V1Pod s_other = Pod("web", "other", "10.1.0.12", new() { ["app"] = "other" }, ("http", 81));
    private static readonly V1Pod s_remote = Pod("ops", "remote", "10.1.1.20", new() { ["app"] = "client" }, ("http", 8081));

    private static readonly ClusterView s_cluster = new(
        [s_server, s_client, s_other, s_remote, HostNetworkPod()],
        [Namespace("web", []), Namespace("ops", new() { ["team"] = "ops" })]);

    [Fact]
    public void Compute_NoPolicySelectsPod_NotIsolated()
    {
        PodTraffic traffic = Compute(s_server, Policy("web", new() { ["app"] = "client" }, ingress: []));

        Assert.Null(traffic.Ingress);
        Assert.Null(traffic.Egress);
    }

    [Fact]
    public void Compute_EmptyIngressList_IsolatedWithNothingAllowed_EgressUntouched()
    {
        PodTraffic traffic = Compute(s_server, Policy("web", [], ingress: []));

        Assert.NotNull(traffic.Ingress);
        Assert.Empty(traffic.Ingress);
        Assert.Null(traffic.Egress);
    }

    [Fact]
    public void Compute_PolicyInOtherNamespace_DoesNotSelect()
    {
        PodTraffic traffic = Compute(s_server, Policy("ops", [], ingress: []));

        Assert.Null(traffic.Ingress);
    }

    [Fact]
    public void Compute_EmptyRule_AllowsEveryPeerAndPort()
    {
        PodTraffic traffic = Compute(s_server, Policy("web", [], ingress: [new V1NetworkPolicyIngressRule()]));

        Assert.Equal([new AllowEntry(null, null)], traffic.Ingress);
    }

    [Fact]
    public void Compute_PodSelectorPeer_OnlyMatchingPodsOfThePolicyNamespace()
    {
        var rule = new V1NetworkPolicyIngressRule { FromProperty = [new V1NetworkPolicyPeer { PodSelector = Selector("app", "client") }] };

        PodTraffic traffic = Compute(s_server, Policy("web", [], ingress: [rule]));

        Assert.Equal([new AllowEntry(PeerRange.Host("10.1.0.11"), null)], traffic.Ingress);
    }

    [Fact]
    public void Compute_NamespaceSelectorPeer_EveryPodOfMatchingNamespaces()
    {
        var rule = new V1NetworkPolicyIngressRule { FromProperty = [new V1NetworkPolicyPeer { NamespaceSelector = Selector("team", "ops") }] };

        PodTraffic traffic = Compute(s_server, Policy("web", [], ingress: [rule]));

        Assert.Equal([new AllowEntry(PeerRange.Host("10.1.1.20"), null)], traffic.Ingress);
    }

    [Fact]
    public void Compute_NamespaceAndPodSelectorInOnePeer_BothMustMatch()
    {
        var both = new V1NetworkPolicyPeer
        {
            NamespaceSelector = Selector("kubernetes.io/metadata.name", "web"),
            PodSelector = Selector("app", "other"),
        };

        PodTraffic traffic = Compute(s_server, Policy("web", [], ingress: [new V1NetworkPolicyIngressRule { FromProperty = [both] }]));

        Assert.Equal([new AllowEntry(PeerRange.Host("10.1.0.12"), null)], traffic.Ingress);
    }

    [Fact]
    public void Compute_IpBlockWithExcept_KeepsTheExceptions()
    {
        var rule = new V1NetworkPolicyIngressRule
        {
            FromProperty = [new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "10.1.0.0/16", Except = ["10.1.1.0/24"] } }],
        };

        PodTraffic traffic = Compute(s_server, Policy("web", [], ingress: [rule]));

        AllowEntry entry = Assert.Single(traffic.Ingress!);
        Assert.True(AllowedTraffic.InRange("10.1.0.11", entry.Peer!));
        Assert.False(AllowedTraffic.InRange("10.1.1.20", entry.Peer!));
    }

    [Fact]
    public void Compute_Ipv6IpBlock_IsLeftOutOfTheIpv4Rules_AndIpv6ExceptionsDropped()
    {
        var rule = new V1NetworkPolicyIngressRule
        {
            FromProperty =
            [
                new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "::/0" } },
                new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "10.1.0.0/16", Except = ["fd00::/8", "10.1.1.0/24"] } },
            ],
        };

        PodTraffic traffic = Compute(s_server, Policy("web", [], ingress: [rule]));

        AllowEntry entry = Assert.Single(traffic.Ingress!);
        Assert.Equal("10.1.0.0/16", entry.Peer!.Cidr);
        Assert.Equal(["10.1.1.0/24"], entry.Peer.Except);
    }

    [Fact]
    public void Compute_IngressNamedPort_ResolvesAgainstTheLocalPod_UnknownNameAllowsNothing()
    {
        var rule = new V1NetworkPolicyIngressRule
        {
            Ports = [new V1NetworkPolicyPort { Port = "metrics" }, new V1NetworkPolicyPort { Port = "nope" }, new V1NetworkPolicyPort { Protocol = "UDP", Port = "53", EndPort = 60 }],
        };

        PodTraffic traffic = Compute(s_server, Policy("web", [], ingress: [rule]));

        Assert.Equal([new AllowEntry(null, new PortRange("TCP", 9090, null)), new AllowEntry(null, new PortRange("UDP", 53, 60))], traffic.Ingress);
    }

    [Fact]
    public void Compute_EgressRules_DefaultTypeIncludesEgress_NamedPortResolvesPerPeer()
    {
        var rule = new V1NetworkPolicyEgressRule
        {
            To = [new V1NetworkPolicyPeer { NamespaceSelector = new V1LabelSelector(), PodSelector = Selector("app", "client") }],
            Ports = [new V1NetworkPolicyPort { Port = "http" }],
        };

        PodTraffic traffic = Compute(s_server, Policy("web", [], ingress: null, egress: [rule]));

        Assert.NotNull(traffic.Ingress);
        Assert.Empty(traffic.Ingress);
        Assert.Equal(
            [new AllowEntry(PeerRange.Host("10.1.0.11"), new PortRange("TCP", 80, null)), new AllowEntry(PeerRange.Host("10.1.1.20"), new PortRange("TCP", 8081, null))],
            traffic.Egress!.OrderBy(e => e.Peer!.Cidr, StringComparer.Ordinal));
    }

    [Fact]
    public void Compute_PolicyTypesEgressOnly_IngressNotIsolated()
    {
        V1NetworkPolicy policy = Policy("web", [], ingress: null, egress: null);
        policy.Spec.PolicyTypes = ["Egress"];

        PodTraffic traffic = Compute(s_server, policy);

        Assert.Null(traffic.Ingress);
        Assert.Empty(traffic.Egress!);
    }

    [Fact]
    public void Compute_TwoPolicies_UnionOfTheirRules()
    {
        var fromClient = new V1NetworkPolicyIngressRule { FromProperty = [new V1NetworkPolicyPeer { PodSelector = Selector("app", "client") }] };
        var fromOther = new V1NetworkPolicyIngressRule { FromProperty = [new V1NetworkPolicyPeer { PodSelector = Selector("app", "other") }] };

        PodTraffic traffic = Compute(s_server, Policy("web", [], ingress: [fromClient]), Policy("web", [], ingress: [fromOther]));

        Assert.Equal(["10.1.0.11/32", "10.1.0.12/32"], traffic.Ingress!.Select(e => e.Peer!.Cidr).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Render_IsolatedPod_ChainEndsInDropAndIsReachedFromDispatch()
    {
        var pod = new PodTraffic("web", "server", "10.1.0.10", [new AllowEntry(PeerRange.Host("10.1.0.11"), new PortRange("TCP", 8080, null))], null);

        (string rules, IReadOnlyList<string> chains) = PolicyRules.Render([pod, new PodTraffic("web", "open", "10.1.0.13", null, null)]);

        string chain = PolicyRules.ChainName("I", "web/server");
        Assert.Equal([PolicyRules.DispatchChain, chain], chains);
        Assert.Contains($"-A {PolicyRules.DispatchChain} -d 10.1.0.10/32", rules, StringComparison.Ordinal);
        Assert.Contains($"-A {chain} -s 10.1.0.11/32 -p tcp -m tcp --dport 8080 -j MARK", rules, StringComparison.Ordinal);
        Assert.Contains("-j DROP", rules, StringComparison.Ordinal);
        Assert.DoesNotContain("10.1.0.13", rules, StringComparison.Ordinal);
        Assert.True(chain.Length <= 28);
    }

    private static PodTraffic Compute(V1Pod pod, params V1NetworkPolicy[] policies) =>
        AllowedTraffic.Compute(pod, AllowedTraffic.PolicyIp(pod)!, policies, s_cluster);

    private static V1LabelSelector Selector(string key, string value) => new() { MatchLabels = new Dictionary<string, string> { [key] = value } };

    private static V1NetworkPolicy Policy(
        string ns, Dictionary<string, string> podSelector, List<V1NetworkPolicyIngressRule>? ingress, List<V1NetworkPolicyEgressRule>? egress = null) => new()
        {
            Metadata = new V1ObjectMeta { Name = "p" + Guid.NewGuid().ToString("N")[..6], NamespaceProperty = ns },
            Spec = new V1NetworkPolicySpec { PodSelector = new V1LabelSelector { MatchLabels = podSelector }, Ingress = ingress, Egress = egress },
        };

    private static V1Namespace Namespace(string name, Dictionary<string, string> labels) =>
        new() { Metadata = new V1ObjectMeta { Name = name, Labels = labels } };

    private static V1Pod Pod(string ns, string name, string ip, Dictionary<string, string> labels, params (string Name, int Port)[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
        Spec = new V1PodSpec
        {
            NodeName = "n1",
            Containers = [new V1Container { Name = "c", Ports = [.. ports.Select(p => new V1ContainerPort { Name = p.Name, ContainerPort = p.Port })] }],
        },
        Status = new V1PodStatus { Phase = "Running", PodIP = ip },
    };

    private static V1Pod HostNetworkPod()
    {
        V1Pod pod = Pod("web", "host", "192.168.0.1", new() { ["app"] = "client" });
        pod.Spec.HostNetwork = true;
        return pod;
    }
}
