using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Tests.Scheduling.Plugins;

public sealed class SharedHelpersTests
{
    [Fact]
    public void NonZeroRequests_MissingRequestsDefault_ExplicitZeroStaysZero()
    {
        V1Pod pod = Make.Pod("p", [Make.Container("none"), Make.Container("zero-cpu", ("cpu", "0"), ("memory", "1Gi")), Make.Container("only-cpu", ("cpu", "250m"))]);

        Resources requests = NonZeroRequests.Of(pod);

        Assert.Equal(100 + 0 + 250, requests.MilliCpu);
        Assert.Equal((200L << 20) + (1L << 30) + (200L << 20), requests.Memory);
        Assert.Equal(250, PodRequests.Of(pod).MilliCpu);
    }

    [Fact]
    public void NonZeroRequests_OfNode_SumsEveryPod()
    {
        NodeInfo node = Make.Info(Make.Node("n"), Make.Pod("a"), Make.Pod("b", ("cpu", "1"), ("memory", "1Gi")));

        Assert.Equal((1100L, (200L << 20) + (1L << 30)), NonZeroRequests.OfNode(node));
    }

    [Fact]
    public void ScoreNormalizer_ScalesToTheBest_AndReverses()
    {
        long[] scores = [0, 5, 10];
        ScoreNormalizer.Default(scores, reverse: false);
        Assert.Equal([0, 50, 100], scores);

        long[] reversed = [0, 5, 10];
        ScoreNormalizer.Default(reversed, reverse: true);
        Assert.Equal([100, 50, 0], reversed);

        long[] zeros = [0, 0];
        ScoreNormalizer.Default(zeros, reverse: false);
        Assert.Equal([0, 0], zeros);
    }

    [Fact]
    public void Plugins_WithoutTheirPreFilterOrPreScoreState_ComputeItThemselves()
    {
        NodeInfo node = Make.Info(Make.Node("n", cpu: "1"), Make.Pod("running", ("cpu", "800m")));
        V1Pod pod = Make.Pod("p", ("cpu", "500m"));
        pod.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = 80 }];
        V1Pod holder = Make.Pod("holder");
        holder.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = 80, Protocol = "TCP" }];
        node.AddPod(holder);

        Assert.Equal(["Insufficient cpu"], new NodeResourcesFit().Filter(new CycleState(), pod, node).Reasons);
        Assert.False(new NodePorts().Filter(new CycleState(), pod, node).IsSuccess);
        Assert.InRange(new NodeResourcesFit().Score(new CycleState(), pod, node), 0, 100);
        Assert.InRange(new NodeResourcesBalancedAllocation().Score(new CycleState(), pod, node), 0, 100);
    }

    [Fact]
    public void NodeAffinity_ZeroWeightPreferredTerm_IsIgnored()
    {
        V1Pod pod = Make.Pod("p");
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                PreferredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PreferredSchedulingTerm
                    {
                        Weight = 0,
                        Preference = new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "a", OperatorProperty = "Exists" }] },
                    },
                ],
            },
        };

        Assert.Equal(StatusCode.Skip, new NodeAffinity().PreScore(new CycleState(), pod, [], new FakeSnapshot()).Code);
    }

    [Fact]
    public void TaintToleration_TolerationWithoutEffect_CoversPreferNoSchedule()
    {
        V1Node tainted = Make.Node("tainted");
        tainted.Spec.Taints = [Make.Taint("soft", "x", "PreferNoSchedule")];
        V1Pod pod = Make.Pod("p");
        pod.Spec.Tolerations = [Make.Toleration("soft", "Equal", "x")];

        Assert.Equal([100, 100], TaintTolerationTests.ScoreAll(new TaintToleration(), pod, tainted, Make.Node("clean")));
    }
}
