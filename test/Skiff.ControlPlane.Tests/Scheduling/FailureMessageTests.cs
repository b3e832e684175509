using Skiff.ControlPlane.Scheduling;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Tests.Scheduling;

public sealed class FailureMessageTests
{
    private static readonly Dictionary<string, PluginStatus> s_taintAndCpu = new()
    {
        ["control"] = PluginStatus.UnschedulableAndUnresolvable("TaintToleration", "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"),
        ["w1"] = PluginStatus.Unschedulable("NodeResourcesFit", "Insufficient cpu"),
        ["w2"] = PluginStatus.Unschedulable("NodeResourcesFit", "Insufficient cpu"),
    };

    [Fact]
    public void Build_PostFilterMessage_IsAppendedWithUpstreamsDoubledPeriod()
    {
        string message = FailureMessage.Build(3, null, s_taintAndCpu, "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.");

        Assert.Equal(
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. "
            + "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..",
            message);
    }

    [Fact]
    public void Build_NoPostFilterMessage_EndsAfterTheFilterReasons()
    {
        Assert.Equal(
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.",
            FailureMessage.Build(3, null, s_taintAndCpu, null));
    }

    [Fact]
    public void Build_ReasonsSortedAsStrings_AndEveryReasonOfANodeCounted()
    {
        var statuses = new Dictionary<string, PluginStatus>();
        for (int i = 0; i < 10; i++)
        {
            statuses[$"big{i}"] = PluginStatus.Unschedulable("NodeResourcesFit", "Insufficient memory", "Insufficient cpu");
        }

        statuses["cordoned1"] = PluginStatus.UnschedulableAndUnresolvable("NodeUnschedulable", "node(s) were unschedulable");
        statuses["cordoned2"] = PluginStatus.UnschedulableAndUnresolvable("NodeUnschedulable", "node(s) were unschedulable");

        string message = FailureMessage.Build(12, null, statuses, null);

        Assert.Equal("0/12 nodes are available: 10 Insufficient cpu, 10 Insufficient memory, 2 node(s) were unschedulable.", message);
    }

    [Fact]
    public void Build_PreFilterRejection_ShowsItsMessageInsteadOfNodeCounts()
    {
        PluginStatus preFilter = PluginStatus.Unschedulable("VolumeBinding", "persistentvolumeclaim \"data\" not found");

        string message = FailureMessage.Build(3, preFilter, new Dictionary<string, PluginStatus>(), null);

        Assert.Equal("0/3 nodes are available: persistentvolumeclaim \"data\" not found.", message);
    }
}
