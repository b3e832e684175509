using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Tests.Scheduling.Plugins;

public sealed class NodeResourcesFitTests
{
    [Fact]
    public void Filter_NotEnoughCpuLeft_IsUnschedulableWithInsufficientCpu()
    {
        NodeInfo node = Make.Info(Make.Node("n", cpu: "4", memory: "8Gi"), Make.Pod("running", ("cpu", "3")));

        PluginStatus status = Filter(new NodeResourcesFit(), Make.Pod("p", ("cpu", "2"), ("memory", "1Gi")), node);

        Assert.Equal(StatusCode.Unschedulable, status.Code);
        Assert.Equal(["Insufficient cpu"], status.Reasons);
        Assert.Equal("NodeResourcesFit", status.Plugin);
    }

    [Fact]
    public void Filter_SeveralResourcesShort_OneReasonEach_InUpstreamOrder()
    {
        V1Node node = Make.Node("n", cpu: "1", memory: "1Gi", pods: 1, ("ephemeral-storage", "10Gi"), ("vendor.com/gpu", "1"));
        NodeInfo info = Make.Info(node, Make.Pod("running", ("cpu", "500m"), ("memory", "512Mi"), ("vendor.com/gpu", "1")));
        V1Pod pod = Make.Pod("p", ("vendor.com/gpu", "1"), ("ephemeral-storage", "20Gi"), ("memory", "768Mi"), ("cpu", "600m"));

        PluginStatus status = Filter(new NodeResourcesFit(), pod, info);

        Assert.Equal(
            ["Too many pods", "Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage", "Insufficient vendor.com/gpu"],
            status.Reasons);

        // 20Gi of storage would not fit even an empty node: preemption cannot help.
        Assert.Equal(StatusCode.UnschedulableAndUnresolvable, status.Code);
    }

    [Fact]
    public void Filter_RequestLargerThanAllocatable_IsUnresolvable()
    {
        PluginStatus status = Filter(new NodeResourcesFit(), Make.Pod("p", ("cpu", "8")), Make.Info(Make.Node("n", cpu: "4")));

        Assert.Equal(StatusCode.UnschedulableAndUnresolvable, status.Code);
        Assert.Equal(["Insufficient cpu"], status.Reasons);
    }

    [Fact]
    public void Filter_TooManyPods_AppliesEvenToBestEffortPods()
    {
        NodeInfo node = Make.Info(Make.Node("n", pods: 1), Make.Pod("running"));

        PluginStatus status = Filter(new NodeResourcesFit(), Make.Pod("best-effort"), node);

        Assert.Equal(StatusCode.Unschedulable, status.Code);
        Assert.Equal(["Too many pods"], status.Reasons);
    }

    [Fact]
    public void Filter_ExtendedResourceTheNodeLacks_IsUnresolvable_UnlessIgnored()
    {
        V1Pod pod = Make.Pod("p", ("example.com/foo", "1"));
        NodeInfo node = Make.Info(Make.Node("n"));

        PluginStatus status = Filter(new NodeResourcesFit(), pod, node);
        PluginStatus ignored = Filter(new NodeResourcesFit(new NodeResourcesFitArgs { IgnoredResourceGroups = new HashSet<string> { "example.com" } }), pod, node);

        Assert.Equal(StatusCode.UnschedulableAndUnresolvable, status.Code);
        Assert.Equal(["Insufficient example.com/foo"], status.Reasons);
        Assert.True(ignored.IsSuccess);
    }

    [Fact]
    public void Filter_InitContainerPeakAndOverheadCount()
    {
        V1Pod pod = Make.Pod("p", [Make.Container("app", ("cpu", "500m"))]);
        pod.Spec.InitContainers = [Make.Container("migrate", ("cpu", "1500m"))];
        NodeInfo node = Make.Info(Make.Node("n", cpu: "2"), Make.Pod("running", ("cpu", "600m")));

        Assert.Equal(["Insufficient cpu"], Filter(new NodeResourcesFit(), pod, node).Reasons);

        pod.Spec.InitContainers = [];
        pod.Spec.Overhead = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1") };
        Assert.Equal(["Insufficient cpu"], Filter(new NodeResourcesFit(), pod, node).Reasons);

        pod.Spec.Overhead = null;
        Assert.True(Filter(new NodeResourcesFit(), pod, node).IsSuccess);
    }

    [Fact]
    public void Score_LeastAllocated_PrefersTheEmptierNode()
    {
        V1Pod pod = Make.Pod("p", ("cpu", "1"), ("memory", "2Gi"));
        V1Pod running = Make.Pod("running", ("cpu", "2"), ("memory", "4Gi"));

        long empty = Score(new NodeResourcesFit(), pod, Make.Info(Make.Node("a")));
        long busy = Score(new NodeResourcesFit(), pod, Make.Info(Make.Node("b"), running));

        Assert.Equal(75, empty);
        Assert.Equal(25, busy);
    }

    [Fact]
    public void Score_PodsWithoutRequests_CountAs100mCpuAnd200MiMemory()
    {
        NodeInfo node = Make.Info(Make.Node("n", cpu: "1", memory: "1000Mi"));

        // cpu (1000 - 100) / 1000 → 90; memory (1000Mi - 200Mi) / 1000Mi → 80.
        Assert.Equal(85, Score(new NodeResourcesFit(), Make.Pod("best-effort"), node));

        // A bound best-effort pod counts the same way: cpu 80, memory 60.
        NodeInfo withPod = Make.Info(Make.Node("n", cpu: "1", memory: "1000Mi"), Make.Pod("running"));
        Assert.Equal(70, Score(new NodeResourcesFit(), Make.Pod("best-effort"), withPod));
    }

    [Fact]
    public void Score_MostAllocated_PrefersTheFullerNode()
    {
        var plugin = new NodeResourcesFit(new NodeResourcesFitArgs { Strategy = ScoringStrategyType.MostAllocated });
        V1Pod pod = Make.Pod("p", ("cpu", "1"), ("memory", "2Gi"));

        Assert.Equal(25, Score(plugin, pod, Make.Info(Make.Node("a"))));
        Assert.Equal(75, Score(plugin, pod, Make.Info(Make.Node("b"), Make.Pod("running", ("cpu", "2"), ("memory", "4Gi")))));

        // Over-committed by the non-zero defaults: capped at 100.
        Assert.Equal(100, Score(plugin, Make.Pod("be"), Make.Info(Make.Node("tiny", cpu: "50m", memory: "100Mi"))));
    }

    [Fact]
    public void Score_RequestedToCapacityRatio_FollowsTheShapeAndWeights()
    {
        var plugin = new NodeResourcesFit(new NodeResourcesFitArgs
        {
            Strategy = ScoringStrategyType.RequestedToCapacityRatio,
            Resources = [new ResourceWeight("cpu", 3), new ResourceWeight("memory", 1)],
            Shape = [new UtilizationShapePoint(0, 0), new UtilizationShapePoint(100, 10)],
        });
        V1Pod pod = Make.Pod("p", ("cpu", "2"), ("memory", "2Gi"));

        // cpu 50% → 50 (weight 3), memory 25% → 25: (150 + 25) / 4 = 43.75 → 44.
        Assert.Equal(44, Score(plugin, pod, Make.Info(Make.Node("n"))));
    }

    [Fact]
    public void Score_RequestedToCapacityRatio_ShapeIsPiecewiseLinear()
    {
        var plugin = new NodeResourcesFit(new NodeResourcesFitArgs
        {
            Strategy = ScoringStrategyType.RequestedToCapacityRatio,
            Resources = [new ResourceWeight("cpu", 1)],
            Shape = [new UtilizationShapePoint(20, 2), new UtilizationShapePoint(60, 10), new UtilizationShapePoint(80, 4)],
        });

        Assert.Equal(20, Score(plugin, Make.Pod("p", ("cpu", "400m")), Make.Info(Make.Node("n", cpu: "4")))); // 10% → first point
        Assert.Equal(60, Score(plugin, Make.Pod("p", ("cpu", "1600m")), Make.Info(Make.Node("n", cpu: "4")))); // 40% → halfway 20..100
        Assert.Equal(70, Score(plugin, Make.Pod("p", ("cpu", "2800m")), Make.Info(Make.Node("n", cpu: "4")))); // 70% → halfway 100..40
        Assert.Equal(40, Score(plugin, Make.Pod("p", ("cpu", "3800m")), Make.Info(Make.Node("n", cpu: "4")))); // 95% → last point
    }

    [Fact]
    public void Constructor_RequestedToCapacityRatioWithoutShape_Throws()
    {
        Assert.Throws<ArgumentException>(() => new NodeResourcesFit(new NodeResourcesFitArgs { Strategy = ScoringStrategyType.RequestedToCapacityRatio }));
    }

    [Fact]
    public void Score_ExtendedResourceThePodDoesNotRequest_IsLeftOut()
    {
        var plugin = new NodeResourcesFit(new NodeResourcesFitArgs { Resources = [new ResourceWeight("cpu", 1), new ResourceWeight("vendor.com/gpu", 1)] });
        NodeInfo node = Make.Info(Make.Node("n", cpu: "4", extra: ("vendor.com/gpu", "4")));

        Assert.Equal(75, Score(plugin, Make.Pod("p", ("cpu", "1")), node));
        Assert.Equal(62, Score(plugin, Make.Pod("p", ("cpu", "1"), ("vendor.com/gpu", "2")), node)); // (75 + 50) / 2
    }

    private static PluginStatus Filter(NodeResourcesFit plugin, V1Pod pod, NodeInfo node)
    {
        var state = new CycleState();
        Assert.True(plugin.PreFilter(state, pod, new FakeSnapshot(node)).IsSuccess);
        return plugin.Filter(state, pod, node);
    }

    private static long Score(IScorePlugin plugin, V1Pod pod, NodeInfo node)
    {
        var state = new CycleState();
        if (plugin is IPreScorePlugin preScore)
        {
            preScore.PreScore(state, pod, [node], new FakeSnapshot(node));
        }

        return plugin.Score(state, pod, node);
    }

    internal static long ScoreOne(IScorePlugin plugin, V1Pod pod, NodeInfo node) => Score(plugin, pod, node);
}
