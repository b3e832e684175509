using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Tests.Scheduling.Plugins;

public sealed class NodeNameAndUnschedulableTests
{
    [Fact]
    public void NodeName_PodNamingAnotherNode_IsUnresolvableWithUpstreamReason()
    {
        V1Pod pod = Make.Pod("p");
        pod.Spec.NodeName = "node-b";
        var plugin = new NodeName();

        PluginStatus other = plugin.Filter(new CycleState(), pod, Make.Info(Make.Node("node-a")));
        PluginStatus same = plugin.Filter(new CycleState(), pod, Make.Info(Make.Node("node-b")));

        Assert.Equal(StatusCode.UnschedulableAndUnresolvable, other.Code);
        Assert.Equal(["node(s) didn't match the requested node name"], other.Reasons);
        Assert.Equal("NodeName", other.Plugin);
        Assert.True(same.IsSuccess);
    }

    [Fact]
    public void NodeName_PodWithoutNodeName_FitsAnyNode()
    {
        Assert.True(new NodeName().Filter(new CycleState(), Make.Pod("p"), Make.Info(Make.Node("n"))).IsSuccess);
    }

    [Fact]
    public void NodeUnschedulable_CordonedNode_RejectsOrdinaryPod()
    {
        V1Node node = Make.Node("n");
        node.Spec.Unschedulable = true;

        PluginStatus status = new NodeUnschedulable().Filter(new CycleState(), Make.Pod("p"), Make.Info(node));

        Assert.Equal(StatusCode.UnschedulableAndUnresolvable, status.Code);
        Assert.Equal(["node(s) were unschedulable"], status.Reasons);
    }

    [Theory]
    [InlineData("node.kubernetes.io/unschedulable", "Exists", "NoSchedule")]
    [InlineData("node.kubernetes.io/unschedulable", "Exists", null)]
    [InlineData(null, "Exists", null)]
    public void NodeUnschedulable_PodToleratingTheUnschedulableTaint_Passes(string? key, string op, string? effect)
    {
        V1Node node = Make.Node("n");
        node.Spec.Unschedulable = true;
        V1Pod pod = Make.Pod("ds");
        pod.Spec.Tolerations = [Make.Toleration(key, op, effect: effect)];

        Assert.True(new NodeUnschedulable().Filter(new CycleState(), pod, Make.Info(node)).IsSuccess);
    }

    [Fact]
    public void NodeUnschedulable_ToleratingOnlyNoExecute_StillRejected()
    {
        V1Node node = Make.Node("n");
        node.Spec.Unschedulable = true;
        V1Pod pod = Make.Pod("p");
        pod.Spec.Tolerations = [Make.Toleration("node.kubernetes.io/unschedulable", "Exists", effect: "NoExecute")];

        Assert.False(new NodeUnschedulable().Filter(new CycleState(), pod, Make.Info(node)).IsSuccess);
    }
}
