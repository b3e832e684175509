using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Tests.Scheduling.Plugins;

public sealed class TaintTolerationTests
{
    [Fact]
    public void Filter_UntoleratedNoScheduleTaint_ReportsTheFirstUntoleratedTaintInUpstreamFormat()
    {
        V1Node node = Make.Node("n");
        node.Spec.Taints =
        [
            Make.Taint("soft", "x", "PreferNoSchedule"),
            Make.Taint("dedicated", "gpu", "NoSchedule"),
            Make.Taint("node.kubernetes.io/not-ready", null, "NoExecute"),
        ];
        V1Pod pod = Make.Pod("p");
        pod.Spec.Tolerations = [Make.Toleration("dedicated", "Equal", "gpu", "NoSchedule")];

        PluginStatus status = new TaintToleration().Filter(new CycleState(), pod, Make.Info(node));

        Assert.Equal(StatusCode.UnschedulableAndUnresolvable, status.Code);
        Assert.Equal(["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"], status.Reasons);
    }

    [Fact]
    public void Filter_AllHardTaintsTolerated_PreferNoScheduleIgnored_Passes()
    {
        V1Node node = Make.Node("n");
        node.Spec.Taints = [Make.Taint("dedicated", "gpu", "NoSchedule"), Make.Taint("soft", null, "PreferNoSchedule")];
        V1Pod pod = Make.Pod("p");
        pod.Spec.Tolerations = [Make.Toleration("dedicated", "Exists")];

        Assert.True(new TaintToleration().Filter(new CycleState(), pod, Make.Info(node)).IsSuccess);
    }

    [Theory]
    [InlineData("dedicated", "Equal", "cpu", "NoSchedule", false)] // value differs
    [InlineData("dedicated", null, "gpu", null, true)] // empty operator is Equal, empty effect matches all
    [InlineData("other", "Exists", null, null, false)] // key differs
    [InlineData(null, "Exists", null, "NoSchedule", true)] // empty key with Exists matches every key
    [InlineData("dedicated", "Exists", null, "NoExecute", false)] // effect differs
    public void Tolerates_FollowsUpstreamKeyEffectAndOperatorRules(string? key, string? op, string? value, string? effect, bool expected)
    {
        Assert.Equal(expected, Tolerations.Tolerates(Make.Toleration(key, op, value, effect), Make.Taint("dedicated", "gpu", "NoSchedule")));
    }

    [Fact]
    public void Score_FewerIntolerablePreferNoScheduleTaints_ScoresHigher()
    {
        V1Node clean = Make.Node("clean");
        V1Node one = Make.Node("one");
        one.Spec.Taints = [Make.Taint("a", null, "PreferNoSchedule"), Make.Taint("hard", null, "NoSchedule")];
        V1Node two = Make.Node("two");
        two.Spec.Taints = [Make.Taint("a", null, "PreferNoSchedule"), Make.Taint("b", null, "PreferNoSchedule")];
        V1Node tolerated = Make.Node("tolerated");
        tolerated.Spec.Taints = [Make.Taint("c", null, "PreferNoSchedule")];
        V1Pod pod = Make.Pod("p");
        pod.Spec.Tolerations = [Make.Toleration("c", "Exists", effect: "PreferNoSchedule"), Make.Toleration("a", "Exists", effect: "NoSchedule")];

        long[] scores = ScoreAll(new TaintToleration(), pod, clean, one, two, tolerated);

        Assert.Equal([100, 50, 0, 100], scores);
    }

    [Fact]
    public void Score_NoNodeHasPreferNoScheduleTaints_AllScoreMax()
    {
        long[] scores = ScoreAll(new TaintToleration(), Make.Pod("p"), Make.Node("a"), Make.Node("b"));

        Assert.Equal([100, 100], scores);
    }

    internal static long[] ScoreAll(IScorePlugin plugin, V1Pod pod, params V1Node[] nodes)
    {
        NodeInfo[] infos = [.. nodes.Select(n => Make.Info(n))];
        var state = new CycleState();
        if (plugin is IPreScorePlugin preScore)
        {
            preScore.PreScore(state, pod, infos, new FakeSnapshot(infos));
        }

        long[] scores = [.. infos.Select(n => plugin.Score(state, pod, n))];
        plugin.NormalizeScores(state, pod, scores);
        return scores;
    }
}
