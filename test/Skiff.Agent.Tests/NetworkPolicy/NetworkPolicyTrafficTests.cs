using System.Diagnostics;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.NetworkPolicy;
using Skiff.TestKit.Network;
using static Skiff.Agent.Tests.NetworkPolicy.PolicyNetworkFixture;

namespace Skiff.Agent.Tests.NetworkPolicy;

/// <summary>
/// Real traffic (busybox wget between netns "pods" on one bridge) filtered by the agent's iptables rules in the node netns,
/// for policies created through a real API server. Every policy test also shows that deleting the policy restores traffic.
/// </summary>
public sealed class NetworkPolicyTrafficTests(PolicyNetworkFixture net) : IClassFixture<PolicyNetworkFixture>
{
    [Fact]
    public async Task NoPolicy_EveryPodReachesEveryPort_JumpFirstInForward_BridgeSysctlOn()
    {
        await net.ExpectAsync(Client, Server, 8080, allowed: true);
        await net.ExpectAsync(Remote, Server, 8081, allowed: true);
        await net.ExpectAsync(Server, Other, 8080, allowed: true);

        string forward = await net.Node.Command.RunAsync("iptables", ["-S", "FORWARD"]);
        Assert.EndsWith("-j " + PolicyRules.DispatchChain, forward.Split('\n').First(l => l.StartsWith("-A FORWARD", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("= 1", await net.Node.Command.RunAsync("sysctl", ["net.bridge.bridge-nf-call-iptables"]), StringComparison.Ordinal);
    }

    [Fact]
    public Task DenyAllIngress_BlocksEveryPod_ButNotTheNodeNorTheServersOwnConnections() =>
        net.WithPolicyAsync(net.Ns1, Policy(Select(Server), ["Ingress"]), async () =>
        {
            await net.ExpectAsync(Client, Server, 8080, allowed: false);
            Assert.False(await net.CanReachAsync(Remote, Server, 8081));
            Assert.False(await net.CanReachAsync(Other, Server, 8080));

            // Host-to-pod traffic (kubelet probes) goes through OUTPUT; the server's own connections get their replies.
            await net.ExpectAsync(null, Server, 8080, allowed: true);
            await net.ExpectAsync(Server, Client, 8080, allowed: true);
        });

    [Fact]
    public Task AllowFromPodLabel_OnlyThatPodInThePolicyNamespace() =>
        net.WithPolicyAsync(net.Ns1, Policy(Select(Server), ["Ingress"], ingress: [From(new V1NetworkPolicyPeer { PodSelector = Select(Client) })]), async () =>
        {
            await net.ExpectAsync(Other, Server, 8080, allowed: false);
            await net.ExpectAsync(Client, Server, 8080, allowed: true);
            await net.ExpectAsync(Client, Server, 8081, allowed: true);
            Assert.False(await net.CanReachAsync(Remote, Server, 8080));
        });

    [Fact]
    public Task AllowFromNamespaceSelector_PodsOfLabelledNamespaceOnly() =>
        net.WithPolicyAsync(net.Ns1, Policy(Select(Server), ["Ingress"], ingress: [From(new V1NetworkPolicyPeer { NamespaceSelector = Labels("team", "blue") })]), async () =>
        {
            await net.ExpectAsync(Client, Server, 8080, allowed: false);
            await net.ExpectAsync(Remote, Server, 8080, allowed: true);
            Assert.False(await net.CanReachAsync(Other, Server, 8080));
        });

    [Fact]
    public Task AllowFromIpBlockWithExcept_ExceptedAddressDenied() =>
        net.WithPolicyAsync(
            net.Ns1,
            Policy(Select(Server), ["Ingress"], ingress: [From(new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "10.77.0.0/24", Except = ["10.77.0.12/32"] } })]),
            async () =>
            {
                await net.ExpectAsync(Other, Server, 8080, allowed: false);
                await net.ExpectAsync(Client, Server, 8080, allowed: true);
                await net.ExpectAsync(Remote, Server, 8081, allowed: true);
            });

    [Fact]
    public Task AllowPort_OtherPortDenied() =>
        net.WithPolicyAsync(
            net.Ns1,
            Policy(Select(Server), ["Ingress"], ingress: [new V1NetworkPolicyIngressRule { Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = 8080 }] }]),
            async () =>
            {
                await net.ExpectAsync(Client, Server, 8081, allowed: false);
                await net.ExpectAsync(Client, Server, 8080, allowed: true);
                await net.ExpectAsync(Remote, Server, 8080, allowed: true);
            });

    [Fact]
    public Task AllowNamedPort_ResolvedFromTheServersContainerPorts() =>
        net.WithPolicyAsync(
            net.Ns1,
            Policy(Select(Server), ["Ingress"], ingress: [new V1NetworkPolicyIngressRule { Ports = [new V1NetworkPolicyPort { Port = "alt" }] }]),
            async () =>
            {
                await net.ExpectAsync(Client, Server, 8080, allowed: false);
                await net.ExpectAsync(Client, Server, 8081, allowed: true);
            });

    [Fact]
    public Task EgressDenyAll_BlocksNewConnections_RepliesStillPass() =>
        net.WithPolicyAsync(net.Ns1, Policy(Select(Client), ["Egress"]), async () =>
        {
            await net.ExpectAsync(Client, Server, 8080, allowed: false);
            Assert.False(await net.CanReachAsync(Client, Remote, 8081));

            // The client's answers to connections others open are replies: allowed.
            await net.ExpectAsync(Server, Client, 8080, allowed: true);
        });

    [Fact]
    public Task EgressAllowToPodOnNamedPort_OnlyThatDestinationAndPort() =>
        net.WithPolicyAsync(
            net.Ns1,
            Policy(
                Select(Client),
                ["Egress"],
                egress: [new V1NetworkPolicyEgressRule { To = [new V1NetworkPolicyPeer { PodSelector = Select(Server) }], Ports = [new V1NetworkPolicyPort { Port = "http" }] }]),
            async () =>
            {
                await net.ExpectAsync(Client, Other, 8080, allowed: false);
                await net.ExpectAsync(Client, Server, 8080, allowed: true);
                Assert.False(await net.CanReachAsync(Client, Server, 8081));
            });

    [Fact]
    public async Task Cancellation_RemovesChainsAndJump_JumpIsMovedBackFirst()
    {
        // Declared before the try, so it is deleted after the finally below has stopped the agent.
        await using NetworkNamespace netns = await NetworkNamespace.CreateAsync(net.NodeNetns + "-x", CancellationToken.None);
        using var stop = new CancellationTokenSource();
        Task? running = null;
        try
        {
            var agent = new NetworkPolicyAgent(
                net.Api,
                new NetworkPolicyOptions { NodeName = net.NodeName + "-x", Command = netns.Command, ResyncPeriod = TimeSpan.FromMilliseconds(300) },
                NullLoggerFactory.Instance,
                TimeProvider.System);
            running = agent.RunAsync(stop.Token);
            await WaitForAsync(async () => (await FirstForwardRuleAsync(netns)).EndsWith("-j " + PolicyRules.DispatchChain, StringComparison.Ordinal));

            await netns.Command.RunAsync("iptables", ["-I", "FORWARD", "-m", "comment", "--comment", "foreign", "-j", "ACCEPT"]);
            await WaitForAsync(async () => (await FirstForwardRuleAsync(netns)).EndsWith("-j " + PolicyRules.DispatchChain, StringComparison.Ordinal));

            await stop.CancelAsync();
            await StoppedAsync(running);
            string saved = await netns.Command.RunAsync("iptables-save", ["-t", "filter"]);
            Assert.DoesNotContain("SKIFF-NP", saved, StringComparison.Ordinal);
            Assert.Contains("foreign", saved, StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            if (running is not null)
            {
                await StoppedAsync(running);
            }
        }
    }

    private static async Task StoppedAsync(Task running)
    {
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
            // The agent stops by cancellation.
        }
    }

    private static async Task<string> FirstForwardRuleAsync(NetworkNamespace netns) =>
        (await netns.Command.RunAsync("iptables", ["-S", "FORWARD"])).Split('\n').FirstOrDefault(l => l.StartsWith("-A FORWARD", StringComparison.Ordinal)) ?? string.Empty;

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "condition not reached in 20 s");
            await Task.Delay(100);
        }
    }

    private static V1LabelSelector Select(string app) => Labels("app", app);

    private static V1LabelSelector Labels(string key, string value) => new() { MatchLabels = new Dictionary<string, string> { [key] = value } };

    private static V1NetworkPolicyIngressRule From(V1NetworkPolicyPeer peer) => new() { FromProperty = [peer] };

    private static V1NetworkPolicy Policy(
        V1LabelSelector podSelector, List<string> types, List<V1NetworkPolicyIngressRule>? ingress = null, List<V1NetworkPolicyEgressRule>? egress = null) => new()
        {
            Metadata = new V1ObjectMeta(),
            Spec = new V1NetworkPolicySpec { PodSelector = podSelector, PolicyTypes = types, Ingress = ingress, Egress = egress },
        };
}
