using System.Net;
using k8s.Models;
using Skiff.Agent.Proxy;

namespace Skiff.Agent.Tests.Proxy;

/// <summary>The rendered restore text routes as intended, chain by chain (pure: no iptables involved).</summary>
public sealed class ProxyRulesTests
{
    private static readonly IPNetwork s_clusterCidr = IPNetwork.Parse("10.42.0.0/16");

    private static RuleSet Render(IEnumerable<V1Service> services, IEnumerable<V1EndpointSlice> slices, string node = "node-a") =>
        ProxyRules.Render(ServicePortBuilder.Build(services, slices, node, null), s_clusterCidr);

    private static (RuleSet Rules, ProxyServicePort Port) RenderOne(V1Service service, params V1Endpoint[] endpoints)
    {
        V1EndpointSlice slice = ProxyObjects.Slice(service.Metadata.Name, 8080, endpoints);
        IReadOnlyList<ProxyServicePort> ports = ServicePortBuilder.Build([service], [slice], "node-a", null);
        return (ProxyRules.Render(ports, s_clusterCidr), Assert.Single(ports));
    }

    [Fact]
    public void Render_ClusterIpWithThreeReadyEndpoints_PicksEachAtRandomAndDnats()
    {
        var (rules, port) = RenderOne(ProxyObjects.Service("web", "10.43.0.10"),
            ProxyObjects.Endpoint("10.42.0.2"), ProxyObjects.Endpoint("10.42.0.3"), ProxyObjects.Endpoint("10.42.0.4"));
        string svc = ProxyRules.ServiceChain("KUBE-SVC-", port);

        string entry = Assert.Single(rules.Rules(RuleSet.Nat, ProxyRules.Services), r => r.Contains("-d 10.43.0.10/32", StringComparison.Ordinal));
        Assert.Contains("-p tcp -m tcp", entry, StringComparison.Ordinal);
        Assert.Contains("--dport 80", entry, StringComparison.Ordinal);
        Assert.EndsWith("-j " + svc, entry, StringComparison.Ordinal);
        Assert.EndsWith("-j " + ProxyRules.NodePorts, rules.Rules(RuleSet.Nat, ProxyRules.Services)[^1], StringComparison.Ordinal);

        IReadOnlyList<string> balancing = rules.Rules(RuleSet.Nat, svc);
        Assert.Equal(4, balancing.Count);
        Assert.Contains("! -s 10.42.0.0/16 -j KUBE-MARK-MASQ", balancing[0], StringComparison.Ordinal);
        Assert.Contains("--probability 0.3333333333", balancing[1], StringComparison.Ordinal);
        Assert.Contains("--probability 0.5000000000", balancing[2], StringComparison.Ordinal);
        Assert.DoesNotContain("statistic", balancing[3], StringComparison.Ordinal);
        string[] targets = [.. port.Endpoints.Select(e => ProxyRules.EndpointChain(port, e))];
        Assert.Equal(targets, balancing.Skip(1).Select(r => r[(r.LastIndexOf(' ') + 1)..]));
        for (int i = 0; i < 3; i++)
        {
            IReadOnlyList<string> sep = rules.Rules(RuleSet.Nat, targets[i]);
            Assert.EndsWith("-j DNAT --to-destination " + port.Endpoints[i].HostPort, sep[1], StringComparison.Ordinal);
            // Hairpin: an endpoint reaching its own Service is masqueraded so the reply comes back through the node.
            Assert.Contains("-s " + port.Endpoints[i].Ip + "/32 -j KUBE-MARK-MASQ", sep[0], StringComparison.Ordinal);
        }

        Assert.Empty(rules.Rules(RuleSet.Filter, ProxyRules.Services));
    }

    [Fact]
    public void Render_NoReadyEndpoints_RejectsInFilterAndHasNoNatEntry()
    {
        var (rules, port) = RenderOne(ProxyObjects.Service("empty", "10.43.0.11", type: "NodePort", nodePort: 30011), ProxyObjects.Endpoint("10.42.0.2", ready: false));

        Assert.DoesNotContain(rules.Rules(RuleSet.Nat, ProxyRules.Services), r => r.Contains("10.43.0.11", StringComparison.Ordinal));
        Assert.False(rules.Chains(RuleSet.Nat).ContainsKey(ProxyRules.ServiceChain("KUBE-SVC-", port)));
        string reject = Assert.Single(rules.Rules(RuleSet.Filter, ProxyRules.Services));
        Assert.Contains("-d 10.43.0.11/32", reject, StringComparison.Ordinal);
        Assert.EndsWith("-j REJECT", reject, StringComparison.Ordinal);
        string nodePort = Assert.Single(rules.Rules(RuleSet.Filter, ProxyRules.ExternalServices));
        Assert.Contains("--dst-type LOCAL -p tcp -m tcp --dport 30011 -j REJECT", nodePort, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NodePortClusterPolicy_MasqueradesAndUsesEveryEndpoint()
    {
        var (rules, port) = RenderOne(ProxyObjects.Service("np", "10.43.0.12", type: "NodePort", nodePort: 30012),
            ProxyObjects.Endpoint("10.42.0.2", node: "node-a"), ProxyObjects.Endpoint("10.42.1.2", node: "node-b"));
        string ext = ProxyRules.ServiceChain("KUBE-EXT-", port);

        string entry = Assert.Single(rules.Rules(RuleSet.Nat, ProxyRules.NodePorts));
        Assert.Contains("--dport 30012 -j " + ext, entry, StringComparison.Ordinal);
        Assert.Equal(["-A " + ext + " -m comment --comment \"masquerade traffic for default/np external destinations\" -j KUBE-MARK-MASQ",
            "-A " + ext + " -j " + ProxyRules.ServiceChain("KUBE-SVC-", port)], rules.Rules(RuleSet.Nat, ext));
        Assert.Equal(3, rules.Rules(RuleSet.Nat, ProxyRules.ServiceChain("KUBE-SVC-", port)).Count);
    }

    [Fact]
    public void Render_ExternalPolicyLocal_SendsOutsideTrafficOnlyToLocalEndpointsWithoutMasquerade()
    {
        V1Service service = ProxyObjects.Service("local", "10.43.0.13", type: "LoadBalancer", nodePort: 30013);
        service.Spec.ExternalTrafficPolicy = "Local";
        service.Status = new V1ServiceStatus { LoadBalancer = new V1LoadBalancerStatus { Ingress = [new V1LoadBalancerIngress { Ip = "192.0.2.50" }] } };
        var (rules, port) = RenderOne(service, ProxyObjects.Endpoint("10.42.0.2", node: "node-a"), ProxyObjects.Endpoint("10.42.1.2", node: "node-b"));
        string ext = ProxyRules.ServiceChain("KUBE-EXT-", port);
        string svl = ProxyRules.ServiceChain("KUBE-SVL-", port);
        string svc = ProxyRules.ServiceChain("KUBE-SVC-", port);

        Assert.Contains(rules.Rules(RuleSet.Nat, ProxyRules.Services), r => r.Contains("-d 192.0.2.50/32", StringComparison.Ordinal) && r.EndsWith("-j " + ext, StringComparison.Ordinal));
        IReadOnlyList<string> extRules = rules.Rules(RuleSet.Nat, ext);
        Assert.Contains("-s 10.42.0.0/16 -j " + svc, extRules[0], StringComparison.Ordinal);
        Assert.Contains("--src-type LOCAL -j KUBE-MARK-MASQ", extRules[1], StringComparison.Ordinal);
        Assert.Contains("--src-type LOCAL -j " + svc, extRules[2], StringComparison.Ordinal);
        Assert.Equal("-A " + ext + " -j " + svl, extRules[3]);
        string only = Assert.Single(rules.Rules(RuleSet.Nat, svl));
        Assert.EndsWith(ProxyRules.EndpointChain(port, port.Endpoints.Single(e => e.IsLocal)), only, StringComparison.Ordinal);
        Assert.DoesNotContain(rules.Rules(RuleSet.Nat, svl), r => r.Contains("KUBE-MARK-MASQ", StringComparison.Ordinal));
        Assert.Empty(rules.Rules(RuleSet.Filter, ProxyRules.ExternalServices));
    }

    [Fact]
    public void Render_ExternalPolicyLocalWithoutLocalEndpoints_DropsExternalTraffic()
    {
        V1Service service = ProxyObjects.Service("remote", "10.43.0.14", type: "NodePort", nodePort: 30014);
        service.Spec.ExternalTrafficPolicy = "Local";
        var (rules, port) = RenderOne(service, ProxyObjects.Endpoint("10.42.1.2", node: "node-b"));
        string ext = ProxyRules.ServiceChain("KUBE-EXT-", port);

        Assert.DoesNotContain(rules.Rules(RuleSet.Nat, ext), r => r.Contains("KUBE-SVL-", StringComparison.Ordinal));
        string drop = Assert.Single(rules.Rules(RuleSet.Filter, ProxyRules.ExternalServices));
        Assert.Contains("has no local endpoints", drop, StringComparison.Ordinal);
        Assert.EndsWith("--dport 30014 -j DROP", drop, StringComparison.Ordinal);
        // The cluster IP still reaches the remote endpoint.
        Assert.Contains(rules.Rules(RuleSet.Nat, ProxyRules.Services), r => r.EndsWith("-j " + ProxyRules.ServiceChain("KUBE-SVC-", port), StringComparison.Ordinal));
    }

    [Fact]
    public void Render_InternalPolicyLocal_ClusterIpUsesOnlyLocalEndpointsOrDrops()
    {
        V1Service service = ProxyObjects.Service("itp", "10.43.0.15");
        service.Spec.InternalTrafficPolicy = "Local";
        var (rules, port) = RenderOne(service, ProxyObjects.Endpoint("10.42.0.2", node: "node-a"), ProxyObjects.Endpoint("10.42.1.2", node: "node-b"));
        string svl = ProxyRules.ServiceChain("KUBE-SVL-", port);
        Assert.Contains(rules.Rules(RuleSet.Nat, ProxyRules.Services), r => r.EndsWith("-j " + svl, StringComparison.Ordinal));
        Assert.Single(rules.Rules(RuleSet.Nat, svl));

        var (remoteOnly, _) = RenderOne(service, ProxyObjects.Endpoint("10.42.1.2", node: "node-b"));
        Assert.EndsWith("-j DROP", Assert.Single(remoteOnly.Rules(RuleSet.Filter, ProxyRules.Services)), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_SessionAffinityClientIp_ChecksRecentBeforeRandomAndRecordsOnDnat()
    {
        V1Service service = ProxyObjects.Service("sticky", "10.43.0.16");
        service.Spec.SessionAffinity = "ClientIP";
        service.Spec.SessionAffinityConfig = new V1SessionAffinityConfig { ClientIP = new V1ClientIPConfig { TimeoutSeconds = 600 } };
        var (rules, port) = RenderOne(service, ProxyObjects.Endpoint("10.42.0.2"), ProxyObjects.Endpoint("10.42.0.3"));
        IReadOnlyList<string> svc = rules.Rules(RuleSet.Nat, ProxyRules.ServiceChain("KUBE-SVC-", port));
        string sep0 = ProxyRules.EndpointChain(port, port.Endpoints[0]);

        Assert.Contains("-m recent --name " + sep0 + " --mask 255.255.255.255 --rsource --rcheck --seconds 600 --reap -j " + sep0, svc[1], StringComparison.Ordinal);
        Assert.Contains("--rcheck", svc[2], StringComparison.Ordinal);
        Assert.Contains("statistic", svc[3], StringComparison.Ordinal);
        Assert.Contains("-m recent --name " + sep0 + " --mask 255.255.255.255 --rsource --set -j DNAT", rules.Rules(RuleSet.Nat, sep0)[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Render_TerminatingEndpoints_UsedOnlyWhenNoneIsReady()
    {
        V1Service service = ProxyObjects.Service("drain", "10.43.0.17");
        var (withReady, port) = RenderOne(service, ProxyObjects.Endpoint("10.42.0.2"), ProxyObjects.Endpoint("10.42.0.3", ready: false, serving: true, terminating: true));
        Assert.Equal(2, withReady.Rules(RuleSet.Nat, ProxyRules.ServiceChain("KUBE-SVC-", port)).Count);

        var (fallback, port2) = RenderOne(service, ProxyObjects.Endpoint("10.42.0.3", ready: false, serving: true, terminating: true),
            ProxyObjects.Endpoint("10.42.0.4", ready: false, serving: false, terminating: true));
        IReadOnlyList<string> svc = fallback.Rules(RuleSet.Nat, ProxyRules.ServiceChain("KUBE-SVC-", port2));
        Assert.Equal(2, svc.Count);
        Assert.EndsWith(ProxyRules.EndpointChain(port2, port2.Endpoints[0]), svc[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Build_HeadlessExternalNameAndOtherNamespaceSlices_AreSkipped()
    {
        V1Service headless = ProxyObjects.Service("headless", "None");
        V1Service external = ProxyObjects.Service("ext", "", type: "ExternalName");
        V1Service web = ProxyObjects.Service("web", "10.43.0.18");
        IReadOnlyList<ProxyServicePort> ports = ServicePortBuilder.Build(
            [headless, external, web],
            [ProxyObjects.Slice("headless", 80, [ProxyObjects.Endpoint("10.42.0.2")]), ProxyObjects.Slice("web", 80, [ProxyObjects.Endpoint("10.42.0.9")], ns: "other")],
            "node-a", null);

        ProxyServicePort port = Assert.Single(ports);
        Assert.Equal("web", port.Name);
        Assert.Empty(port.Endpoints);
    }

    [Fact]
    public void Build_MultiplePortsAndProtocols_MatchSlicePortsByNameAndProtocol()
    {
        V1Service service = ProxyObjects.Service("dns", "10.43.0.10");
        service.Spec.Ports = [new V1ServicePort { Name = "dns", Port = 53, Protocol = "UDP" }, new V1ServicePort { Name = "dns-tcp", Port = 53, Protocol = "TCP" }];
        V1EndpointSlice slice = ProxyObjects.Slice("dns", 5353, [ProxyObjects.Endpoint("10.42.0.5")], protocol: "UDP", portName: "dns");
        slice.Ports.Add(new Discoveryv1EndpointPort { Name = "dns-tcp", Port = 5354, Protocol = "TCP" });
        RuleSet rules = Render([service], [slice]);
        IReadOnlyList<ProxyServicePort> ports = ServicePortBuilder.Build([service], [slice], "node-a", null);

        Assert.Equal(2, ports.Count);
        ProxyServicePort udp = ports.Single(p => p.Protocol == "udp");
        ProxyServicePort tcp = ports.Single(p => p.Protocol == "tcp");
        Assert.Contains("-p udp -m udp -j DNAT", rules.Rules(RuleSet.Nat, ProxyRules.EndpointChain(udp, udp.Endpoints[0]))[1], StringComparison.Ordinal);
        Assert.EndsWith("10.42.0.5:5353", rules.Rules(RuleSet.Nat, ProxyRules.EndpointChain(udp, udp.Endpoints[0]))[1], StringComparison.Ordinal);
        Assert.EndsWith("10.42.0.5:5354", rules.Rules(RuleSet.Nat, ProxyRules.EndpointChain(tcp, tcp.Endpoints[0]))[1], StringComparison.Ordinal);
        Assert.NotEqual(ProxyRules.ServiceChain("KUBE-SVC-", udp), ProxyRules.ServiceChain("KUBE-SVC-", tcp));
    }

    [Fact]
    public void Render_ChainNames_FitIptablesLimit()
    {
        var (rules, _) = RenderOne(ProxyObjects.Service(new string('a', 63), "10.43.0.19", type: "NodePort", nodePort: 30019), ProxyObjects.Endpoint("10.42.0.2"));
        Assert.All(rules.Chains(RuleSet.Nat).Keys, c => Assert.True(c.Length <= 28, c));
    }
}
