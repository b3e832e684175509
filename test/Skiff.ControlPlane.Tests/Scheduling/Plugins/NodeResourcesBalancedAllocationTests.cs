using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Tests.Scheduling.Plugins;

public sealed class NodeResourcesBalancedAllocationTests
{
    [Fact]
    public void Score_EqualCpuAndMemoryFractions_ScoreMax()
    {
        Assert.Equal(100, NodeResourcesFitTests.ScoreOne(new NodeResourcesBalancedAllocation(), Make.Pod("p", ("cpu", "1"), ("memory", "2Gi")), Make.Info(Make.Node("n"))));
    }

    [Fact]
    public void Score_UnevenFractions_LoseHalfTheirDifference()
    {
        // cpu 0.5, memory 0.125: std = 0.1875 → 81.
        Assert.Equal(81, NodeResourcesFitTests.ScoreOne(new NodeResourcesBalancedAllocation(), Make.Pod("p", ("cpu", "2"), ("memory", "1Gi")), Make.Info(Make.Node("n"))));
    }

    [Fact]
    public void Score_CountsPodsAlreadyOnTheNode_AndCapsFractionsAtOne()
    {
        var plugin = new NodeResourcesBalancedAllocation();

        // A cpu-heavy pod already there makes a memory-heavy pod balance the node.
        Assert.Equal(100, NodeResourcesFitTests.ScoreOne(plugin, Make.Pod("p", ("memory", "4Gi")), Make.Info(Make.Node("n"), Make.Pod("running", ("cpu", "2")))));

        // cpu 8/4 is capped at 1, memory 0.25: std = 0.375 → 62.
        Assert.Equal(62, NodeResourcesFitTests.ScoreOne(plugin, Make.Pod("p", ("cpu", "8"), ("memory", "2Gi")), Make.Info(Make.Node("n"))));
    }

    [Fact]
    public void Score_UsesRealRequests_NotTheNonZeroDefaults()
    {
        // With the 100m/200Mi defaults this node would look unbalanced; real requests are 0 and 0.
        Assert.Equal(100, NodeResourcesFitTests.ScoreOne(new NodeResourcesBalancedAllocation(), Make.Pod("best-effort"), Make.Info(Make.Node("n", cpu: "1", memory: "100Gi"))));
    }

    [Fact]
    public void Score_ThreeResources_UsesTheStandardDeviation()
    {
        var plugin = new NodeResourcesBalancedAllocation([new ResourceWeight("cpu", 1), new ResourceWeight("memory", 1), new ResourceWeight("vendor.com/gpu", 1)]);
        var node = Make.Info(Make.Node("n", cpu: "4", memory: "8Gi", extra: ("vendor.com/gpu", "4")));

        // Fractions 0.25, 0.25, 1: mean 0.5, std = sqrt((0.0625 + 0.0625 + 0.25) / 3) ≈ 0.3536 → 64.
        Assert.Equal(64, NodeResourcesFitTests.ScoreOne(plugin, Make.Pod("p", ("cpu", "1"), ("memory", "2Gi"), ("vendor.com/gpu", "4")), node));
    }
}
