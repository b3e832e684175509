using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Tests.Scheduling.Plugins;

public sealed class ImageLocalityTests
{
    private const long Mb = 1024 * 1024;

    [Fact]
    public void Score_ImageOnOneNodeOfThree_IsScaledBySpread_NodesWithoutItScoreZero()
    {
        NodeInfo a = Make.Info(WithImages("a", (["nginx:1.25"], 500 * Mb)));
        NodeInfo b = Make.Info(WithImages("b"));
        NodeInfo c = Make.Info(WithImages("c"));
        V1Pod pod = WithImage("nginx:1.25");

        long[] scores = Scores(pod, a, b, c);

        // 500 MiB × 1/3 ≈ 166.7 MiB; (166.7 − 23) / (1000 − 23) × 100 → 14.
        Assert.Equal([14, 0, 0], scores);
    }

    [Fact]
    public void Score_ImageEverywhere_CountsInFull()
    {
        NodeInfo a = Make.Info(WithImages("a", (["nginx:1.25"], 500 * Mb)));
        NodeInfo b = Make.Info(WithImages("b", (["nginx:1.25"], 500 * Mb)));

        // (500 − 23) / (1000 − 23) × 100 → 48.
        Assert.Equal([48, 48], Scores(WithImage("nginx:1.25"), a, b));
    }

    [Fact]
    public void Score_UntaggedImage_MatchesLatest_AndSmallImagesScoreZero()
    {
        NodeInfo big = Make.Info(WithImages("big", (["redis:latest", "redis@sha256:abc"], 2000 * Mb)));
        NodeInfo small = Make.Info(WithImages("small", (["redis:latest"], 20 * Mb)));

        long[] scores = Scores(WithImage("redis"), big, small);

        // Capped at 1000 MiB per container, spread 1/2 → 1000 MiB.  Small: 10 MiB < 23 MiB → 0.
        Assert.Equal([100, 0], scores);
    }

    [Fact]
    public void Score_MaxThresholdGrowsWithTheNumberOfContainers()
    {
        NodeInfo node = Make.Info(WithImages("n", (["app:v1"], 1000 * Mb)));
        V1Pod pod = Make.Pod("p", [new V1Container { Name = "a", Image = "app:v1" }, new V1Container { Name = "b", Image = "sidecar:v1" }]);

        // (1000 − 23) / (2000 − 23) × 100 → 49.
        Assert.Equal([49], Scores(pod, node));
    }

    [Theory]
    [InlineData("nginx", "nginx:latest")]
    [InlineData("nginx:1.25", "nginx:1.25")]
    [InlineData("registry:5000/team/app", "registry:5000/team/app:latest")]
    [InlineData("registry:5000/team/app:v2", "registry:5000/team/app:v2")]
    public void NormalizedImageName_AddsLatestOnlyWithoutATag(string image, string expected)
    {
        Assert.Equal(expected, ImageLocality.NormalizedImageName(image));
    }

    private static long[] Scores(V1Pod pod, params NodeInfo[] nodes)
    {
        var plugin = new ImageLocality();
        var state = new CycleState();
        Assert.True(plugin.PreScore(state, pod, nodes, new FakeSnapshot(nodes)).IsSuccess);
        return [.. nodes.Select(n => plugin.Score(state, pod, n))];
    }

    private static V1Pod WithImage(string image) => Make.Pod("p", [new V1Container { Name = "c", Image = image }]);

    private static V1Node WithImages(string name, params (string[] Names, long Size)[] images)
    {
        V1Node node = Make.Node(name);
        node.Status.Images = [.. images.Select(i => new V1ContainerImage { Names = i.Names, SizeBytes = i.Size })];
        return node;
    }
}
