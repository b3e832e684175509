using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Network;
using Skiff.Agent.Tests.Kubelet.Server;
using Skiff.TestKit.Server;
using Xunit.Abstractions;

namespace Skiff.Agent.Tests.Network;

/// <summary>
/// <see cref="PodNetwork"/> on real namespaces (<see cref="PodNetworkLab"/>) against a real API server: pods on different nodes
/// reach each other by IP with host-gw, with VXLAN, and with Auto across a router; pod traffic leaving the cluster is
/// masqueraded; a deleted Node's entries go; stopping removes everything but the bridge.
/// </summary>
public sealed class PodNetworkTests(SkiffServerFixture fixture, ITestOutputHelper output) : IClassFixture<SkiffServerFixture>
{
    private const int Port = 8080;

    private static readonly string Proto = PodNetwork.RouteProtocol.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private readonly ILoggerFactory _loggers = LoggerFactory.Create(b => b.AddProvider(new TestOutputLoggerProvider(output)).SetMinimumLevel(LogLevel.Debug));

    [Fact]
    public async Task HostGw_PodsOnTwoNodesReachEachOther_EgressIsMasqueraded_DeletedNodeRouteGoes_StopCleansUp()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using PodNetworkLab lab = await PodNetworkLab.StartAsync(fixture.Client, _loggers, timeout.Token);
        LabNode a = await lab.AddNodeAsync("a", 1, 0, PodNetworkBackend.HostGw, timeout.Token);
        LabNode b = await lab.AddNodeAsync("b", 2, 0, PodNetworkBackend.HostGw, timeout.Token);
        // A route of ours that no Node explains, as a killed agent would leave it: the next run removes it.
        string stale = $"{lab.ClusterCidr.BaseAddress.ToString()[..^3]}99.0/24";
        await a.Command.RunAsync("ip", ["route", "add", stale, "via", "192.168.50.1", "proto", Proto], cancellationToken: timeout.Token);
        await a.Network.PrepareAsync(timeout.Token);
        await PodNetworkLab.StartPodNetworkAsync(a, timeout.Token);
        await PodNetworkLab.StartPodNetworkAsync(b, timeout.Token);
        Assert.Null(a.Network.PodMtu);
        string postrouting = await a.Command.RunAsync("iptables", ["-t", "nat", "-S", "POSTROUTING"], cancellationToken: timeout.Token);
        Assert.Single(postrouting.Split('\n'), l => l.Contains($"-j {a.Network.NatChain}", StringComparison.Ordinal));
        var (podA, _) = await lab.AddPodAsync(a, "a", timeout.Token);
        var (podB, podBIp) = await lab.AddPodAsync(b, "b", timeout.Token);
        lab.StartHttpd(podB, Port, "hello from b");
        lab.StartHttpd(lab.Lan, Port, "hello from outside");

        using var reach = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal("hello from b", await PodNetworkLab.WgetAsync(podA, podBIp, Port, reach.Token));
        string routes = await a.Command.RunAsync("ip", ["-4", "route", "show", b.PodCidr.ToString()]);
        Assert.Contains($"via {b.Ip} dev eth0", routes, StringComparison.Ordinal);
        Assert.Empty(await a.Command.RunAsync("ip", ["-4", "route", "show", stale]));

        // The lan has no route to any pod CIDR: the page comes back only because the node masqueraded the pod's address.
        Assert.Equal("hello from outside", await PodNetworkLab.WgetAsync(podA, IPAddress.Parse("192.168.50.1"), Port, reach.Token));
        string nat = await a.Command.RunAsync("iptables", ["-t", "nat", "-S", a.Network.NatChain]);
        Assert.Contains($"-s {a.PodCidr} ! -d {lab.ClusterCidr}", nat, StringComparison.Ordinal);
        Assert.Contains("-j MASQUERADE", nat, StringComparison.Ordinal);
        string forward = await a.Command.RunAsync("iptables", ["-S", "FORWARD"]);
        Assert.Contains($"-j {a.Network.ForwardChain}", forward, StringComparison.Ordinal);

        await fixture.Client.CoreV1.DeleteNodeAsync(b.NodeName, cancellationToken: timeout.Token);
        Assert.True(
            await PodNetworkLab.EventuallyAsync(async () => (await a.Command.RunAsync("ip", ["-4", "route", "show", b.PodCidr.ToString()])).Length == 0, reach.Token),
            "node b's route stayed on node a after the Node was deleted");

        await a.StopAsync();
        Assert.Empty(await a.Command.RunAsync("ip", ["-4", "route", "show", "proto", Proto]));
        string saved = await a.Command.RunAsync("iptables-save", []);
        Assert.DoesNotContain("SKIFF-NET", saved, StringComparison.Ordinal);
        Assert.Contains($"inet {a.Network.Options.Gateway}/24", await a.Command.RunAsync("ip", ["-4", "addr", "show", "dev", "cni0"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Vxlan_PodsReachEachOtherThroughTheOverlay_VtepMacIsPublished_StopRemovesTheDevice()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using PodNetworkLab lab = await PodNetworkLab.StartAsync(fixture.Client, _loggers, timeout.Token);
        LabNode a = await lab.AddNodeAsync("a", 1, 0, PodNetworkBackend.Vxlan, timeout.Token);
        LabNode b = await lab.AddNodeAsync("b", 2, 0, PodNetworkBackend.Vxlan, timeout.Token);
        await PodNetworkLab.StartPodNetworkAsync(a, timeout.Token);
        await PodNetworkLab.StartPodNetworkAsync(b, timeout.Token);
        Assert.Equal(1450, a.Network.PodMtu);
        var (podA, podAIp) = await lab.AddPodAsync(a, "a", timeout.Token);
        var (podB, podBIp) = await lab.AddPodAsync(b, "b", timeout.Token);
        lab.StartHttpd(podA, Port, "hello from a");
        lab.StartHttpd(podB, Port, "hello from b");

        using var reach = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal("hello from b", await PodNetworkLab.WgetAsync(podA, podBIp, Port, reach.Token));
        Assert.Equal("hello from a", await PodNetworkLab.WgetAsync(podB, podAIp, Port, reach.Token));
        Assert.Contains("mtu 1450", await podA.Command.RunAsync("ip", ["link", "show", "dev", "eth0"]), StringComparison.Ordinal);

        V1Node nodeB = await fixture.Client.CoreV1.ReadNodeAsync(b.NodeName, cancellationToken: timeout.Token);
        string macB = nodeB.Metadata.Annotations[PodNetwork.VtepMacAnnotation];
        Assert.Contains($"link/ether {macB}", await b.Command.RunAsync("ip", ["link", "show", "dev", "skiff.1"]), StringComparison.Ordinal);
        string route = await a.Command.RunAsync("ip", ["-4", "route", "show", b.PodCidr.ToString()]);
        Assert.Contains($"via {b.PodCidr.BaseAddress} dev skiff.1", route, StringComparison.Ordinal);
        Assert.Contains("onlink", route, StringComparison.Ordinal);
        Assert.Contains($"{macB} dst {b.Ip}", await a.Command.RunAsync("bridge", ["fdb", "show", "dev", "skiff.1"]), StringComparison.Ordinal);

        await a.StopAsync();
        var (deviceGone, _, _) = await a.Command.TryRunAsync("ip", ["link", "show", "dev", "skiff.1"]);
        Assert.NotEqual(0, deviceGone);
        Assert.Empty(await a.Command.RunAsync("ip", ["-4", "route", "show", b.PodCidr.ToString()]));
        Assert.DoesNotContain("SKIFF-NET", await a.Command.RunAsync("iptables-save", []), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auto_UsesHostGwOnTheLanAndVxlanToANodeBehindARouter()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using PodNetworkLab lab = await PodNetworkLab.StartAsync(fixture.Client, _loggers, timeout.Token);
        LabNode a = await lab.AddNodeAsync("a", 1, 0, PodNetworkBackend.Auto, timeout.Token);
        LabNode b = await lab.AddNodeAsync("b", 2, 0, PodNetworkBackend.Auto, timeout.Token);
        LabNode c = await lab.AddNodeAsync("c", 3, 1, PodNetworkBackend.Auto, timeout.Token);
        foreach (LabNode node in (LabNode[])[a, b, c])
        {
            await PodNetworkLab.StartPodNetworkAsync(node, timeout.Token);
        }

        var (podA, _) = await lab.AddPodAsync(a, "a", timeout.Token);
        var (podB, podBIp) = await lab.AddPodAsync(b, "b", timeout.Token);
        var (podC, podCIp) = await lab.AddPodAsync(c, "c", timeout.Token);
        lab.StartHttpd(podB, Port, "hello from b");
        lab.StartHttpd(podC, Port, "hello from c");

        using var reach = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal("hello from b", await PodNetworkLab.WgetAsync(podA, podBIp, Port, reach.Token));
        Assert.Equal("hello from c", await PodNetworkLab.WgetAsync(podA, podCIp, Port, reach.Token));
        Assert.Contains($"via {b.Ip} dev eth0", await a.Command.RunAsync("ip", ["-4", "route", "show", b.PodCidr.ToString()]), StringComparison.Ordinal);
        Assert.Contains($"via {c.PodCidr.BaseAddress} dev skiff.1", await a.Command.RunAsync("ip", ["-4", "route", "show", c.PodCidr.ToString()]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prepare_WarnsWhenAnotherNetworkOnTheHostHoldsThePodCidr()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var recorder = new RecordingLoggerProvider();
        using ILoggerFactory loggers = LoggerFactory.Create(b => b.AddProvider(new TestOutputLoggerProvider(output)).AddProvider(recorder).SetMinimumLevel(LogLevel.Debug));
        await using PodNetworkLab lab = await PodNetworkLab.StartAsync(fixture.Client, loggers, timeout.Token);
        LabNode clean = await lab.AddNodeAsync("c", 1, 0, PodNetworkBackend.HostGw, timeout.Token);
        LabNode taken = await lab.AddNodeAsync("t", 2, 0, PodNetworkBackend.HostGw, timeout.Token);
        // Another network on node t's host already uses t's pod CIDR (a second cluster's bridge, say): its route comes first.
        byte[] bytes = taken.PodCidr.BaseAddress.GetAddressBytes();
        bytes[^1] = 200;
        await PodNetworkLab.Sh(taken.Command, $"ip link add other0 type veth peer name other1 && ip addr add {new IPAddress(bytes)}/24 dev other0 && ip link set other1 up && ip link set other0 up", timeout.Token);

        await clean.Network.PrepareAsync(timeout.Token);
        await taken.Network.PrepareAsync(timeout.Token);

        (int _, string message) = Assert.Single(recorder.Lines, l => l.EventId == 8217);
        Assert.Contains($"pod CIDR {taken.PodCidr} through other0, not the bridge cni0", message, StringComparison.Ordinal);
    }
}
