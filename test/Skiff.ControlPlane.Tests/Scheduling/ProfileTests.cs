using Skiff.ControlPlane.Scheduling;

namespace Skiff.ControlPlane.Tests.Scheduling;

public sealed class ProfileTests
{
    [Theory]
    [InlineData(50, null, 50)]
    [InlineData(100, null, 100)]
    [InlineData(1000, null, 420)]
    [InlineData(5000, null, 500)]
    [InlineData(6000, null, 300)]
    [InlineData(200, null, 100)]
    [InlineData(5000, 20, 1000)]
    [InlineData(5000, 100, 5000)]
    [InlineData(500, 1, 100)]
    public void NumFeasibleNodesToFind_FollowsUpstreamAdaptivePercentage(int nodes, int? percentage, int expected)
    {
        var profile = new Profile("default-scheduler", [], percentage);

        Assert.Equal(expected, profile.NumFeasibleNodesToFind(nodes));
    }
}
