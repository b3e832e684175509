using k8s.Models;
using Skiff.ControlPlane.Controllers.DaemonSet;

namespace Skiff.ControlPlane.Tests.Controllers.DaemonSet;

public sealed class DaemonSetSyncTests
{
    private const string Hash = "newhash";
    private static readonly DateTimeOffset s_now = new(2026, 1, 1, 0, 10, 0, TimeSpan.Zero);

    [Fact]
    public void ShouldRunOn_PlainNode_RunsThere()
    {
        Assert.Equal((true, true), NodeEligibility.ShouldRunOn(Node("n1"), Set()));
    }

    [Fact]
    public void ShouldRunOn_NodeSelectorNotMatched_DoesNotRun()
    {
        V1DaemonSet ds = Set();
        ds.Spec.Template.Spec.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" };

        Assert.Equal((false, false), NodeEligibility.ShouldRunOn(Node("n1"), ds));
        Assert.Equal((true, true), NodeEligibility.ShouldRunOn(Node("n2", labels: new() { ["disk"] = "ssd" }), ds));
    }

    [Fact]
    public void ShouldRunOn_UntoleratedNoScheduleTaint_KeepsAnExistingPodButPlacesNone()
    {
        V1Node node = Node("n1", taints: [new V1Taint { Key = "dedicated", Value = "db", Effect = "NoSchedule" }]);

        Assert.Equal((false, true), NodeEligibility.ShouldRunOn(node, Set()));
    }

    [Fact]
    public void ShouldRunOn_UntoleratedNoExecuteTaint_EvictsToo()
    {
        V1Node node = Node("n1", taints: [new V1Taint { Key = "dedicated", Value = "db", Effect = "NoExecute" }]);

        Assert.Equal((false, false), NodeEligibility.ShouldRunOn(node, Set()));
    }

    [Fact]
    public void ShouldRunOn_TaintToleratedByTemplate_Runs()
    {
        V1DaemonSet ds = Set();
        ds.Spec.Template.Spec.Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "db", Effect = "NoSchedule" }];

        Assert.Equal((true, true), NodeEligibility.ShouldRunOn(Node("n1", taints: [new V1Taint { Key = "dedicated", Value = "db", Effect = "NoSchedule" }]), ds));
        Assert.Equal((false, true), NodeEligibility.ShouldRunOn(Node("n1", taints: [new V1Taint { Key = "dedicated", Value = "web", Effect = "NoSchedule" }]), ds));
    }

    [Theory]
    [InlineData("node.kubernetes.io/not-ready", "NoExecute")]
    [InlineData("node.kubernetes.io/unreachable", "NoExecute")]
    [InlineData("node.kubernetes.io/unschedulable", "NoSchedule")]
    [InlineData("node.kubernetes.io/disk-pressure", "NoSchedule")]
    [InlineData("node.kubernetes.io/memory-pressure", "NoSchedule")]
    [InlineData("node.kubernetes.io/pid-pressure", "NoSchedule")]
    public void ShouldRunOn_NodeConditionTaints_AreToleratedByDefault(string key, string effect)
    {
        Assert.Equal((true, true), NodeEligibility.ShouldRunOn(Node("n1", taints: [new V1Taint { Key = key, Effect = effect }]), Set()));
    }

    [Fact]
    public void ShouldRunOn_RequiredNodeAffinity_SelectsByExpressionAndName()
    {
        V1DaemonSet ds = Set();
        ds.Spec.Template.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms =
                    [
                        new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["a", "b"] }] },
                        new V1NodeSelectorTerm { MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = ["special"] }] },
                    ],
                },
            },
        };

        Assert.True(NodeEligibility.ShouldRunOn(Node("n1", labels: new() { ["zone"] = "b" }), ds).ShouldRun);
        Assert.True(NodeEligibility.ShouldRunOn(Node("special"), ds).ShouldRun);
        Assert.False(NodeEligibility.ShouldRunOn(Node("n2", labels: new() { ["zone"] = "c" }), ds).ShouldRun);
    }

    [Fact]
    public void NewPod_Node_NamesTheNodeThroughAffinityWithDefaultTolerations()
    {
        V1Pod pod = DaemonSetSync.NewPod(Set(), "n1", Hash);

        Assert.Equal("agent-", pod.Metadata.GenerateName);
        Assert.Null(pod.Spec.NodeName);
        Assert.Equal("n1", DaemonSetSync.TargetNode(pod));
        V1NodeSelectorRequirement field = Assert.Single(Assert.Single(pod.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms).MatchFields);
        Assert.Equal(("metadata.name", "In", "n1"), (field.Key, field.OperatorProperty, Assert.Single(field.Values)));
        Assert.Equal(Hash, pod.Metadata.Labels[DaemonSetSync.RevisionHashLabel]);
        Assert.Contains(pod.Spec.Tolerations, t => t.Key == "node.kubernetes.io/unreachable" && t.Effect == "NoExecute");
        Assert.Equal(6, pod.Spec.Tolerations.Count);
        Assert.Equal(("DaemonSet", "agent"), (pod.Metadata.OwnerReferences[0].Kind, pod.Metadata.OwnerReferences[0].Name));
    }

    [Fact]
    public void Manage_EligibleNodesWithoutPodsAndPodOnIneligibleNode_CreatesAndDeletes()
    {
        V1DaemonSet ds = Set();
        V1Node tainted = Node("tainted", taints: [new V1Taint { Key = "k", Effect = "NoExecute" }]);
        V1Pod onTainted = Pod("p-tainted", "tainted", ready: true);
        V1Pod onGone = Pod("p-gone", "gone", ready: true);
        V1Pod onN2 = Pod("p-n2", "n2", ready: true);

        DaemonSetStep step = DaemonSetSync.Manage(ds, [Node("n1"), Node("n2"), tainted], DaemonSetSync.ByNode([onTainted, onGone, onN2]), Hash, s_now);

        Assert.Equal(["n1"], step.CreateOn);
        Assert.Equal(["p-tainted", "p-gone"], step.Delete.Select(p => p.Metadata.Name));
    }

    [Fact]
    public void Manage_TwoPodsOnANode_KeepsTheOldest()
    {
        V1Pod older = Pod("older", "n1", ready: true, created: new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        V1Pod newer = Pod("newer", "n1", ready: true, created: new DateTime(2026, 1, 1, 0, 5, 0, DateTimeKind.Utc));

        DaemonSetStep step = DaemonSetSync.Manage(Set(), [Node("n1")], DaemonSetSync.ByNode([newer, older]), Hash, s_now);

        Assert.Equal(["newer"], step.Delete.Select(p => p.Metadata.Name));
    }

    [Fact]
    public void Manage_FailedPod_IsReportedAndDeleted()
    {
        V1Pod failed = Pod("failed", "n1", ready: false);
        failed.Status.Phase = "Failed";

        DaemonSetStep step = DaemonSetSync.Manage(Set(), [Node("n1")], DaemonSetSync.ByNode([failed]), Hash, s_now);

        Assert.Equal(["failed"], step.Delete.Select(p => p.Metadata.Name));
        Assert.Equal("n1", Assert.Single(step.Failed).Node);
    }

    [Fact]
    public void RollingUpdate_MaxUnavailableOne_DeletesOneOldPodAtATime()
    {
        List<V1Pod> pods = [Pod("a", "n1", ready: true, hash: "old"), Pod("b", "n2", ready: true, hash: "old"), Pod("c", "n3", ready: true, hash: "old")];

        DaemonSetStep step = DaemonSetUpdate.Plan(Set(), [Node("n1"), Node("n2"), Node("n3")], DaemonSetSync.ByNode(pods), Hash, s_now);

        Assert.Equal(["a"], step.Delete.Select(p => p.Metadata.Name));
        Assert.Empty(step.CreateOn);
    }

    [Fact]
    public void RollingUpdate_UpdatedPodNotYetAvailable_WaitsBeforeTheNextNode()
    {
        List<V1Pod> pods = [Pod("a", "n1", ready: false), Pod("b", "n2", ready: true, hash: "old")];

        Assert.Empty(DaemonSetUpdate.Plan(Set(), [Node("n1"), Node("n2")], DaemonSetSync.ByNode(pods), Hash, s_now).Delete);
    }

    [Fact]
    public void RollingUpdate_MaxSurge_StartsTheNewPodBesideTheOldOneThenDeletesTheOld()
    {
        V1DaemonSet ds = Set();
        ds.Spec.UpdateStrategy.RollingUpdate = new V1RollingUpdateDaemonSet { MaxSurge = 1, MaxUnavailable = 0 };
        List<V1Node> nodes = [Node("n1"), Node("n2")];
        V1Pod oldOnN1 = Pod("a", "n1", ready: true, hash: "old");

        DaemonSetStep first = DaemonSetUpdate.Plan(ds, nodes, DaemonSetSync.ByNode([oldOnN1, Pod("b", "n2", ready: true, hash: "old")]), Hash, s_now);
        DaemonSetStep second = DaemonSetUpdate.Plan(ds, nodes, DaemonSetSync.ByNode([oldOnN1, Pod("new", "n1", ready: true), Pod("b", "n2", ready: true, hash: "old")]), Hash, s_now);

        Assert.Equal(["n1"], first.CreateOn);
        Assert.Empty(first.Delete);
        Assert.Equal(["a"], second.Delete.Select(p => p.Metadata.Name));
        Assert.Equal(["n2"], second.CreateOn);
    }

    [Fact]
    public void ComputeStatus_MixedNodes_CountsLikeUpstream()
    {
        V1Node tainted = Node("tainted", taints: [new V1Taint { Key = "k", Effect = "NoSchedule" }]);
        List<V1Pod> pods = [Pod("a", "n1", ready: true), Pod("b", "n2", ready: false, hash: "old"), Pod("c", "tainted", ready: true)];

        V1DaemonSetStatus status = DaemonSetSync.ComputeStatus(Set(), [Node("n1"), Node("n2"), Node("n3"), tainted], DaemonSetSync.ByNode(pods), Hash, null, s_now);

        Assert.Equal((3, 2, 1, 1, 1, 2, 1), (status.DesiredNumberScheduled, status.CurrentNumberScheduled, status.NumberMisscheduled, status.NumberReady, status.NumberAvailable, status.NumberUnavailable, status.UpdatedNumberScheduled));
        Assert.Equal(4L, status.ObservedGeneration);
    }

    internal static V1DaemonSet Set() => new()
    {
        Metadata = new V1ObjectMeta { Name = "agent", NamespaceProperty = "default", Uid = "ds-uid", Generation = 4 },
        Spec = new V1DaemonSetSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Template = Models.Template(),
            UpdateStrategy = new V1DaemonSetUpdateStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateDaemonSet { MaxUnavailable = 1, MaxSurge = 0 } },
        },
    };

    internal static V1Node Node(string name, Dictionary<string, string>? labels = null, List<V1Taint>? taints = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels ?? [] },
        Spec = new V1NodeSpec { Taints = taints },
    };

    private static V1Pod Pod(string name, string node, bool ready, string hash = Hash, DateTime? created = null)
    {
        V1Pod pod = DaemonSetSync.NewPod(Set(), node, hash);
        V1Pod model = Models.Pod(name, ownerUid: "ds-uid", ready: ready, created: created);
        model.Metadata.Labels = pod.Metadata.Labels;
        model.Spec = pod.Spec;
        return model;
    }
}
