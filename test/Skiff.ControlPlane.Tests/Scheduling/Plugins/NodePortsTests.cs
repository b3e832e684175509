using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Tests.Scheduling.Plugins;

public sealed class NodePortsTests
{
    [Theory]
    [InlineData("TCP", null, 80, "TCP", null, 80, false)]
    [InlineData("TCP", null, 80, "TCP", null, 8080, true)]
    [InlineData("TCP", null, 53, "UDP", null, 53, true)] // protocols are distinct
    [InlineData(null, null, 80, "TCP", null, 80, false)] // protocol defaults to TCP
    [InlineData("TCP", "10.0.0.1", 80, "TCP", "10.0.0.2", 80, true)] // different addresses
    [InlineData("TCP", "10.0.0.1", 80, "TCP", "10.0.0.1", 80, false)]
    [InlineData("TCP", "10.0.0.1", 80, "TCP", null, 80, false)] // wildcard wants every address
    [InlineData("TCP", null, 80, "TCP", "10.0.0.1", 80, false)] // an address collides with the wildcard
    [InlineData("TCP", "0.0.0.0", 80, "TCP", "10.0.0.1", 80, false)]
    public void Filter_HostPortConflicts_FollowWildcardAndProtocolRules(
        string? usedProtocol, string? usedIp, int usedPort, string? wantProtocol, string? wantIp, int wantPort, bool fits)
    {
        NodeInfo node = Make.Info(Make.Node("n"), WithPort("existing", usedProtocol, usedIp, usedPort));
        V1Pod pod = WithPort("new", wantProtocol, wantIp, wantPort);
        var plugin = new NodePorts();
        var state = new CycleState();

        Assert.Equal(StatusCode.Success, plugin.PreFilter(state, pod, new FakeSnapshot(node)).Code);
        PluginStatus status = plugin.Filter(state, pod, node);

        Assert.Equal(fits, status.IsSuccess);
        if (!fits)
        {
            Assert.Equal(StatusCode.Unschedulable, status.Code);
            Assert.Equal(["node(s) didn't have free ports for the requested pod ports"], status.Reasons);
        }
    }

    [Fact]
    public void PreFilter_PodWithoutHostPorts_Skips()
    {
        V1Pod pod = Make.Pod("p");
        pod.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 8080 }];

        Assert.Equal(StatusCode.Skip, new NodePorts().PreFilter(new CycleState(), pod, new FakeSnapshot()).Code);
    }

    [Fact]
    public void Filter_PortFreedWhenThePodHoldingItIsRemoved()
    {
        V1Pod holder = WithPort("holder", "TCP", null, 80);
        NodeInfo node = Make.Info(Make.Node("n"), holder);
        node.RemovePod(holder);

        Assert.True(new NodePorts().Filter(new CycleState(), WithPort("new", "TCP", null, 80), node).IsSuccess);
    }

    private static V1Pod WithPort(string name, string? protocol, string? hostIp, int port)
    {
        V1Pod pod = Make.Pod(name);
        pod.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 8080, HostPort = port, HostIP = hostIp, Protocol = protocol }];
        return pod;
    }
}
