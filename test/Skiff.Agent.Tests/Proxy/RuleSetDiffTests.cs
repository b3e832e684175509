using System.Net;
using k8s.Models;
using Skiff.Agent.Proxy;

namespace Skiff.Agent.Tests.Proxy;

/// <summary>A sync rewrites only the chains whose rules changed and deletes the ones that went away.</summary>
public sealed class RuleSetDiffTests
{
    private static readonly IPNetwork s_clusterCidr = IPNetwork.Parse("10.42.0.0/16");

    private static (RuleSet Rules, IReadOnlyList<ProxyServicePort> Ports) Render(params (V1Service Service, V1EndpointSlice Slice)[] items)
    {
        IReadOnlyList<ProxyServicePort> ports = ServicePortBuilder.Build(items.Select(i => i.Service), items.Select(i => i.Slice), "node-a", null);
        return (ProxyRules.Render(ports, s_clusterCidr), ports);
    }

    private static (V1Service, V1EndpointSlice) Web(string name, string ip, params string[] endpoints) =>
        (ProxyObjects.Service(name, ip), ProxyObjects.Slice(name, 8080, endpoints.Select(e => ProxyObjects.Endpoint(e))));

    private static List<string> Declared(string input) => [.. input.Split('\n').Where(l => l.StartsWith(':')).Select(l => l[1..l.IndexOf(' ', StringComparison.Ordinal)])];

    [Fact]
    public void RestoreInput_SameRules_IsNull()
    {
        var (first, _) = Render(Web("a", "10.43.0.1", "10.42.0.2"));
        var (second, _) = Render(Web("a", "10.43.0.1", "10.42.0.2"));
        Assert.Null(second.RestoreInput(first));
    }

    [Fact]
    public void RestoreInput_EndpointReplaced_RewritesOnlyThatServiceAndDeletesTheOldEndpointChain()
    {
        var (before, beforePorts) = Render(Web("a", "10.43.0.1", "10.42.0.2", "10.42.0.3"), Web("b", "10.43.0.2", "10.42.0.7"));
        var (after, afterPorts) = Render(Web("a", "10.43.0.1", "10.42.0.2", "10.42.0.4"), Web("b", "10.43.0.2", "10.42.0.7"));
        ProxyServicePort a = beforePorts[0];
        ProxyServicePort b = beforePorts[1];

        string input = Assert.IsType<string>(after.RestoreInput(before));
        List<string> declared = Declared(input);
        string removed = ProxyRules.EndpointChain(a, a.Endpoints[1]);
        string added = ProxyRules.EndpointChain(afterPorts[0], afterPorts[0].Endpoints[1]);
        Assert.Equal(new[] { added, ProxyRules.ServiceChain("KUBE-SVC-", a), removed }.Order(StringComparer.Ordinal), declared.Order(StringComparer.Ordinal));
        Assert.Contains("-X " + removed + "\n", input, StringComparison.Ordinal);
        Assert.DoesNotContain(ProxyRules.ServiceChain("KUBE-SVC-", b), input, StringComparison.Ordinal);
        Assert.DoesNotContain(":" + ProxyRules.EndpointChain(a, a.Endpoints[0]), input, StringComparison.Ordinal);
        Assert.DoesNotContain("*filter", input, StringComparison.Ordinal);
        Assert.Equal((2, 1), after.CountChanges(before));
        // Deletions come after every rule, so nothing still jumps to a chain when it goes.
        Assert.True(input.IndexOf("-X ", StringComparison.Ordinal) > input.LastIndexOf("-A ", StringComparison.Ordinal));
    }

    [Fact]
    public void RestoreInput_ServiceAdded_AddsItsChainsAndRewritesKubeServices()
    {
        var (before, _) = Render(Web("a", "10.43.0.1", "10.42.0.2"));
        var (after, ports) = Render(Web("a", "10.43.0.1", "10.42.0.2"), Web("c", "10.43.0.3", "10.42.0.9"));
        ProxyServicePort c = ports.Single(p => p.Name == "c");

        string input = Assert.IsType<string>(after.RestoreInput(before));
        Assert.Equal(
            new[] { ProxyRules.Services, ProxyRules.ServiceChain("KUBE-SVC-", c), ProxyRules.EndpointChain(c, c.Endpoints[0]) }.Order(StringComparer.Ordinal),
            Declared(input).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("-X ", input, StringComparison.Ordinal);
    }

    [Fact]
    public void RestoreInput_LastEndpointRemoved_MovesServiceToFilterRejectAndDeletesItsNatChains()
    {
        var (before, ports) = Render(Web("a", "10.43.0.1", "10.42.0.2"));
        var (after, _) = Render(Web("a", "10.43.0.1"));
        ProxyServicePort a = ports[0];

        string input = Assert.IsType<string>(after.RestoreInput(before));
        Assert.Contains("*filter\n:KUBE-SERVICES - [0:0]\n", input, StringComparison.Ordinal);
        Assert.Contains("-X " + ProxyRules.ServiceChain("KUBE-SVC-", a), input, StringComparison.Ordinal);
        Assert.Contains("-X " + ProxyRules.EndpointChain(a, a.Endpoints[0]), input, StringComparison.Ordinal);
    }

    [Fact]
    public void RestoreInput_FullSync_WritesEveryChainAndDeletesLeftovers()
    {
        var (rules, _) = Render(Web("a", "10.43.0.1", "10.42.0.2"));
        var existing = new Dictionary<string, IReadOnlyCollection<string>>
        {
            [RuleSet.Nat] = ["KUBE-SERVICES", "KUBE-SVC-DEADBEEFDEADBEEF"],
            [RuleSet.Filter] = [],
        };

        string input = Assert.IsType<string>(rules.RestoreInput(null, existing));
        List<string> declared = Declared(input);
        Assert.Equal(rules.Chains(RuleSet.Nat).Count + rules.Chains(RuleSet.Filter).Count + 1, declared.Count);
        Assert.Contains("-X KUBE-SVC-DEADBEEFDEADBEEF\n", input, StringComparison.Ordinal);
        Assert.DoesNotContain("-X KUBE-SERVICES", input, StringComparison.Ordinal);
    }
}
