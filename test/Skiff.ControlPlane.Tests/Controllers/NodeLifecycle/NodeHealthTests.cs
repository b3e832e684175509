using k8s.Models;
using Skiff.ControlPlane.Controllers.NodeLifecycle;

namespace Skiff.ControlPlane.Tests.Controllers.NodeLifecycle;

public sealed class NodeHealthTests
{
    private static readonly DateTime s_created = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime s_now = s_created.AddHours(1);

    [Fact]
    public void MarkUnknown_PostedConditions_BecomeUnknownWithNodeStatusUnknown()
    {
        V1Node node = Node("n", ready: "True");
        node.Status.Conditions.Add(new V1NodeCondition { Type = "NetworkUnavailable", Status = "False" });

        Assert.True(NodeHealth.MarkUnknown(node, s_now));

        V1NodeCondition ready = node.Status.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal(("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", s_now), (ready.Status, ready.Reason, ready.Message, ready.LastTransitionTime));
        Assert.Equal(s_created.AddMinutes(1), ready.LastHeartbeatTime);
        Assert.All(node.Status.Conditions.Where(c => c.Type is "MemoryPressure" or "DiskPressure" or "PIDPressure"), c => Assert.Equal("Unknown", c.Status));
        Assert.Equal("False", node.Status.Conditions.Single(c => c.Type == "NetworkUnavailable").Status);
    }

    [Fact]
    public void MarkUnknown_NeverPosted_AddsConditionsWithNodeStatusNeverUpdated()
    {
        V1Node node = Node("n", ready: null);

        Assert.True(NodeHealth.MarkUnknown(node, s_now));

        V1NodeCondition ready = node.Status.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal(("Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status.", s_created), (ready.Status, ready.Reason, ready.Message, ready.LastHeartbeatTime));
        Assert.Equal(4, node.Status.Conditions.Count);
    }

    [Fact]
    public void MarkUnknown_AlreadyUnknown_ChangesNothing()
    {
        V1Node node = Node("n", ready: "True");
        NodeHealth.MarkUnknown(node, s_now);

        Assert.False(NodeHealth.MarkUnknown(node, s_now.AddMinutes(1)));
        Assert.Equal(s_now, node.Status.Conditions.Single(c => c.Type == "Ready").LastTransitionTime);
    }

    [Theory]
    [InlineData("Unknown", "node.kubernetes.io/unreachable")]
    [InlineData("False", "node.kubernetes.io/not-ready")]
    public void DesiredTaints_NotReady_NoScheduleAndNoExecuteTaintsWithTimeAdded(string ready, string key)
    {
        V1Node node = Node("n", ready);

        List<V1Taint> taints = NodeHealth.DesiredTaints(node, NoExecuteTainting.Normal, s_now);

        Assert.Equal(2, taints.Count);
        Assert.Contains(taints, t => t.Key == key && t.Effect == "NoSchedule" && t.TimeAdded is null);
        Assert.Contains(taints, t => t.Key == key && t.Effect == "NoExecute" && t.TimeAdded == s_now);
    }

    [Fact]
    public void DesiredTaints_ReadyAgain_RemovesOnlyTheControllersTaints()
    {
        V1Node node = Node("n", "True");
        node.Spec.Taints =
        [
            new V1Taint { Key = "node.kubernetes.io/unreachable", Effect = "NoExecute", TimeAdded = s_created },
            new V1Taint { Key = "node.kubernetes.io/unreachable", Effect = "NoSchedule" },
            new V1Taint { Key = "dedicated", Value = "gpu", Effect = "NoExecute" },
        ];

        List<V1Taint> taints = NodeHealth.DesiredTaints(node, NoExecuteTainting.Normal, s_now);

        V1Taint kept = Assert.Single(taints);
        Assert.Equal("dedicated", kept.Key);
    }

    [Fact]
    public void DesiredTaints_StillUnreachable_KeepsTheOriginalTimeAdded()
    {
        V1Node node = Node("n", "Unknown");
        node.Spec.Taints = [new V1Taint { Key = "node.kubernetes.io/unreachable", Effect = "NoExecute", TimeAdded = s_created }];

        List<V1Taint> taints = NodeHealth.DesiredTaints(node, NoExecuteTainting.Normal, s_now);

        Assert.Equal(s_created, taints.Single(t => t.Effect == "NoExecute").TimeAdded);
    }

    [Fact]
    public void DesiredTaints_ConditionsAndUnschedulable_GiveTheirNoScheduleTaints()
    {
        V1Node node = Node("n", "True");
        node.Spec.Unschedulable = true;
        node.Status.Conditions.Single(c => c.Type == "MemoryPressure").Status = "True";
        node.Status.Conditions.Add(new V1NodeCondition { Type = "DiskPressure", Status = "False" });

        List<V1Taint> taints = NodeHealth.DesiredTaints(node, NoExecuteTainting.Normal, s_now);

        Assert.Equal(
            ["node.kubernetes.io/memory-pressure:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule"],
            taints.Select(t => t.Key + ":" + t.Effect).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DesiredTaints_NoneMode_LeavesOutTheNoExecuteTaint()
    {
        V1Node node = Node("n", "Unknown");
        node.Spec.Taints = [new V1Taint { Key = "node.kubernetes.io/unreachable", Effect = "NoExecute", TimeAdded = s_created }];

        List<V1Taint> taints = NodeHealth.DesiredTaints(node, NoExecuteTainting.None, s_now);

        Assert.Equal("NoSchedule", Assert.Single(taints).Effect);
    }

    [Fact]
    public void DesiredTaints_KeepExistingMode_SwapsButDoesNotAdd()
    {
        V1Node tainted = Node("a", "False");
        tainted.Spec.Taints = [new V1Taint { Key = "node.kubernetes.io/unreachable", Effect = "NoExecute", TimeAdded = s_created }];
        V1Node clean = Node("b", "False");

        Assert.Contains(NodeHealth.DesiredTaints(tainted, NoExecuteTainting.KeepExisting, s_now), t => t.Key == "node.kubernetes.io/not-ready" && t.Effect == "NoExecute");
        Assert.DoesNotContain(NodeHealth.DesiredTaints(clean, NoExecuteTainting.KeepExisting, s_now), t => t.Effect == "NoExecute");
    }

    [Fact]
    public void NoExecuteMode_EveryNodeDown_IsNone()
    {
        V1Node only = Node("a", "Unknown");

        Assert.Equal(NoExecuteTainting.None, NodeHealth.NoExecuteMode(only, [only]));
    }

    [Fact]
    public void NoExecuteMode_OneOfTwoDown_IsNormal()
    {
        V1Node down = Node("a", "Unknown");

        Assert.Equal(NoExecuteTainting.Normal, NodeHealth.NoExecuteMode(down, [down, Node("b", "True")]));
    }

    [Fact]
    public void NoExecuteMode_MostOfASmallZoneDown_KeepsExistingOnly()
    {
        V1Node[] nodes = [Node("a", "Unknown"), Node("b", "Unknown"), Node("c", "Unknown"), Node("d", "True")];

        Assert.Equal(NoExecuteTainting.KeepExisting, NodeHealth.NoExecuteMode(nodes[0], nodes));
    }

    [Fact]
    public void NoExecuteMode_WholeZoneDownWhileAnotherZoneIsUp_IsNormal()
    {
        V1Node down = Node("a", "Unknown", zone: "z1");

        Assert.Equal(NoExecuteTainting.Normal, NodeHealth.NoExecuteMode(down, [down, Node("b", "True", zone: "z2")]));
    }

    internal static V1Node Node(string name, string? ready, string? zone = null)
    {
        var node = new V1Node
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                CreationTimestamp = s_created,
                Labels = zone is null ? null : new Dictionary<string, string> { [NodeHealth.ZoneLabel] = zone },
            },
            Spec = new V1NodeSpec(),
            Status = new V1NodeStatus { Conditions = [] },
        };
        if (ready is not null)
        {
            node.Status.Conditions.Add(new V1NodeCondition { Type = "Ready", Status = ready, LastHeartbeatTime = s_created.AddMinutes(1), LastTransitionTime = s_created });
            node.Status.Conditions.Add(new V1NodeCondition { Type = "MemoryPressure", Status = "False" });
        }

        return node;
    }
}
