using k8s.Models;
using Skiff.ControlPlane.Controllers.NodeLifecycle;

namespace Skiff.ControlPlane.Tests.Controllers.NodeLifecycle;

public sealed class TaintEvictionTests
{
    private static readonly DateTime s_added = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime s_now = s_added.AddSeconds(10);
    private static readonly V1Taint s_unreachable = new() { Key = "node.kubernetes.io/unreachable", Effect = "NoExecute", TimeAdded = s_added };

    [Fact]
    public void Deadline_NoToleration_IsNow()
    {
        Assert.Equal(s_now, TaintEviction.Deadline([s_unreachable], null, t => t.TimeAdded!.Value, s_now));
    }

    [Fact]
    public void Deadline_ToleratedWithSeconds_IsTimeAddedPlusSeconds()
    {
        V1Toleration[] tolerations = [new() { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 300 }];

        Assert.Equal(s_added.AddSeconds(300), TaintEviction.Deadline([s_unreachable], tolerations, t => t.TimeAdded!.Value, s_now));
    }

    [Fact]
    public void Deadline_ToleratedWithoutSeconds_IsNever()
    {
        V1Toleration[] tolerations = [new() { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists" }];

        Assert.Null(TaintEviction.Deadline([s_unreachable], tolerations, t => t.TimeAdded!.Value, s_now));
    }

    [Fact]
    public void Deadline_SeveralMatchingTolerations_TheSmallestSecondsWins()
    {
        V1Toleration[] tolerations =
        [
            new() { OperatorProperty = "Exists" },
            new() { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 60 },
        ];

        Assert.Equal(s_added.AddSeconds(60), TaintEviction.Deadline([s_unreachable], tolerations, t => t.TimeAdded!.Value, s_now));
    }

    [Fact]
    public void Deadline_OneOfTwoTaintsNotTolerated_IsNow()
    {
        V1Toleration[] tolerations = [new() { Key = "node.kubernetes.io/unreachable", OperatorProperty = "Exists" }];
        var other = new V1Taint { Key = "dedicated", Value = "db", Effect = "NoExecute" };

        Assert.Equal(s_now, TaintEviction.Deadline([s_unreachable, other], tolerations, _ => s_added, s_now));
    }

    [Theory]
    [InlineData("dedicated", "Equal", "db", "NoExecute", true)]
    [InlineData("dedicated", "Equal", "web", "NoExecute", false)]
    [InlineData("dedicated", null, "db", null, true)]
    [InlineData("dedicated", "Exists", null, "NoSchedule", false)]
    [InlineData(null, "Exists", null, null, true)]
    [InlineData("other", "Exists", null, null, false)]
    public void Tolerates_FollowsKeyOperatorValueAndEffect(string? key, string? op, string? value, string? effect, bool expected)
    {
        var taint = new V1Taint { Key = "dedicated", Value = "db", Effect = "NoExecute" };

        Assert.Equal(expected, Tolerations.Tolerates(new V1Toleration { Key = key, OperatorProperty = op, Value = value, Effect = effect }, taint));
    }
}
