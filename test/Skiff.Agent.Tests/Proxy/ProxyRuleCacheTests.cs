using System.Net;
using k8s.Models;
using Skiff.Agent.Proxy;

namespace Skiff.Agent.Tests.Proxy;

/// <summary>An incremental render re-renders only the ports whose inputs changed and still equals a full render of the new state.</summary>
public sealed class ProxyRuleCacheTests
{
    private static readonly IPNetwork s_clusterCidr = IPNetwork.Parse("10.42.0.0/16");

    private static IReadOnlyList<ProxyServicePort> Build(params (V1Service Service, V1EndpointSlice Slice)[] items) =>
        ServicePortBuilder.Build(items.Select(i => i.Service), items.Select(i => i.Slice), "node-a", null);

    private static (V1Service, V1EndpointSlice) Web(string name, string ip, params string[] endpoints) =>
        (ProxyObjects.Service(name, ip), ProxyObjects.Slice(name, 8080, endpoints.Select(e => ProxyObjects.Endpoint(e))));

    private static (V1Service, V1EndpointSlice) Local(string name, string ip, int nodePort, params (string Ip, string Node)[] endpoints)
    {
        V1Service service = ProxyObjects.Service(name, ip, type: "NodePort", nodePort: nodePort);
        service.Spec.ExternalTrafficPolicy = "Local";
        return (service, ProxyObjects.Slice(name, 8080, endpoints.Select(e => ProxyObjects.Endpoint(e.Ip, node: e.Node))));
    }

    private static void AssertSameRules(RuleSet expected, RuleSet actual)
    {
        foreach (string table in new[] { RuleSet.Nat, RuleSet.Filter })
        {
            Assert.Equal(expected.Chains(table).OrderBy(c => c.Key, StringComparer.Ordinal), actual.Chains(table).OrderBy(c => c.Key, StringComparer.Ordinal));
        }

        Assert.Equal(expected.RuleCount, actual.RuleCount);
    }

    [Fact]
    public void Render_FirstCall_RendersEveryPortAndEqualsFullRender()
    {
        IReadOnlyList<ProxyServicePort> ports = Build(Web("a", "10.43.0.1", "10.42.0.2"), Local("b", "10.43.0.2", 30002, ("10.42.0.5", "node-a"), ("10.42.1.5", "node-b")));
        var cache = new ProxyRuleCache(s_clusterCidr);

        RuleSet rules = cache.Render(ports);

        Assert.Equal(2, cache.LastRendered);
        AssertSameRules(ProxyRules.Render(ports, s_clusterCidr), rules);
    }

    [Fact]
    public void Render_AfterChanges_RendersOnlyChangedPortsAndEqualsFullRenderOfNewState()
    {
        var cache = new ProxyRuleCache(s_clusterCidr);
        IReadOnlyList<ProxyServicePort> before = Build(
            Web("a", "10.43.0.1", "10.42.0.2", "10.42.0.3"), Web("b", "10.43.0.2", "10.42.0.7"), Web("c", "10.43.0.3", "10.42.0.9"),
            Local("d", "10.43.0.4", 30004, ("10.42.0.5", "node-a"), ("10.42.1.5", "node-b")));
        RuleSet written = cache.Render(before);

        // a: an endpoint replaced; b: unchanged; c: deleted; d: its local endpoint moved to another node; e: new.
        IReadOnlyList<ProxyServicePort> after = Build(
            Web("a", "10.43.0.1", "10.42.0.2", "10.42.0.4"), Web("b", "10.43.0.2", "10.42.0.7"),
            Local("d", "10.43.0.4", 30004, ("10.42.0.5", "node-c"), ("10.42.1.5", "node-b")), Web("e", "10.43.0.5", "10.42.0.11"));
        RuleSet incremental = cache.Render(after);

        Assert.Equal(3, cache.LastRendered);
        RuleSet full = ProxyRules.Render(after, s_clusterCidr);
        AssertSameRules(full, incremental);
        Assert.Null(full.RestoreInput(incremental));
        Assert.Equal(full.RestoreInput(ProxyRules.Render(before, s_clusterCidr)), incremental.RestoreInput(written));
        // b's chains are the very strings kept from the first render, so the diff compares them by reference.
        string svcB = ProxyRules.ServiceChain("KUBE-SVC-", before[1]);
        Assert.Same(written.Chains(RuleSet.Nat)[svcB], incremental.Chains(RuleSet.Nat)[svcB]);
    }

    [Fact]
    public void Render_SameInputsFromNewObjects_RendersNothingAndWritesNothing()
    {
        var cache = new ProxyRuleCache(s_clusterCidr);
        RuleSet written = cache.Render(Build(Web("a", "10.43.0.1", "10.42.0.2"), Web("b", "10.43.0.2", "10.42.0.7")));

        RuleSet again = cache.Render(Build(Web("a", "10.43.0.1", "10.42.0.2"), Web("b", "10.43.0.2", "10.42.0.7")));

        Assert.Equal(0, cache.LastRendered);
        Assert.Null(again.RestoreInput(written));
    }

    [Fact]
    public void Render_AfterClear_RendersEveryPortAgain()
    {
        var cache = new ProxyRuleCache(s_clusterCidr);
        IReadOnlyList<ProxyServicePort> ports = Build(Web("a", "10.43.0.1", "10.42.0.2"), Web("b", "10.43.0.2", "10.42.0.7"));
        cache.Render(ports);

        cache.Clear();
        RuleSet rules = cache.Render(ports);

        Assert.Equal(2, cache.LastRendered);
        AssertSameRules(ProxyRules.Render(ports, s_clusterCidr), rules);
    }
}
