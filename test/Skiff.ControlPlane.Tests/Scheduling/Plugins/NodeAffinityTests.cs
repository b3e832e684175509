using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Tests.Scheduling.Plugins;

public sealed class NodeAffinityTests
{
    private const string Reason = "node(s) didn't match Pod's node affinity/selector";

    [Fact]
    public void Filter_NodeSelectorMismatch_IsUnresolvableWithUpstreamReason()
    {
        V1Pod pod = Make.Pod("p");
        pod.Spec.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" };

        PluginStatus missing = new NodeAffinity().Filter(new CycleState(), pod, Make.Info(Labeled("n1")));
        PluginStatus wrong = new NodeAffinity().Filter(new CycleState(), pod, Make.Info(Labeled("n2", ("disk", "hdd"))));
        PluginStatus right = new NodeAffinity().Filter(new CycleState(), pod, Make.Info(Labeled("n3", ("disk", "ssd"), ("zone", "a"))));

        Assert.Equal(StatusCode.UnschedulableAndUnresolvable, missing.Code);
        Assert.Equal([Reason], missing.Reasons);
        Assert.False(wrong.IsSuccess);
        Assert.True(right.IsSuccess);
    }

    [Theory]
    [InlineData("In", new[] { "a", "b" }, "b", true)]
    [InlineData("In", new[] { "a" }, null, false)]
    [InlineData("NotIn", new[] { "a" }, "b", true)]
    [InlineData("NotIn", new[] { "a" }, null, true)] // an absent label is not in the set
    [InlineData("NotIn", new[] { "a" }, "a", false)]
    [InlineData("Exists", new string[0], "x", true)]
    [InlineData("Exists", new string[0], null, false)]
    [InlineData("DoesNotExist", new string[0], null, true)]
    [InlineData("DoesNotExist", new string[0], "x", false)]
    [InlineData("Gt", new[] { "4" }, "8", true)]
    [InlineData("Gt", new[] { "8" }, "8", false)]
    [InlineData("Lt", new[] { "8" }, "4", true)]
    [InlineData("Lt", new[] { "8" }, "not-a-number", false)]
    [InlineData("Gt", new[] { "4" }, null, false)]
    [InlineData("In", new string[0], "a", false)] // malformed: In needs values
    public void Filter_RequiredMatchExpression_UsesUpstreamOperatorSemantics(string op, string[] values, string? label, bool fits)
    {
        V1Pod pod = Required(new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "key", OperatorProperty = op, Values = values }] });
        V1Node node = label is null ? Labeled("n") : Labeled("n", ("key", label));

        Assert.Equal(fits, new NodeAffinity().Filter(new CycleState(), pod, Make.Info(node)).IsSuccess);
    }

    [Fact]
    public void Filter_TermsAreOred_ExpressionsWithinATermAreAnded()
    {
        V1Pod pod = Required(
            new V1NodeSelectorTerm { MatchExpressions = [Expr("zone", "In", "a"), Expr("disk", "In", "ssd")] },
            new V1NodeSelectorTerm { MatchExpressions = [Expr("zone", "In", "b")] });

        Assert.False(Fits(pod, Labeled("n", ("zone", "a"), ("disk", "hdd"))));
        Assert.True(Fits(pod, Labeled("n", ("zone", "a"), ("disk", "ssd"))));
        Assert.True(Fits(pod, Labeled("n", ("zone", "b"))));
    }

    [Fact]
    public void Filter_MatchFieldsOnMetadataName_SelectsByNodeName()
    {
        V1Pod pod = Required(new V1NodeSelectorTerm { MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = ["node-2"] }] });

        Assert.True(Fits(pod, Labeled("node-2")));
        Assert.False(Fits(pod, Labeled("node-1")));
    }

    [Fact]
    public void Filter_EmptyTerm_MatchesNothing()
    {
        Assert.False(Fits(Required(new V1NodeSelectorTerm()), Labeled("n", ("a", "b"))));
    }

    [Fact]
    public void Filter_NodeSelectorAndAffinityMustBothMatch()
    {
        V1Pod pod = Required(new V1NodeSelectorTerm { MatchExpressions = [Expr("zone", "In", "a")] });
        pod.Spec.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" };

        Assert.False(Fits(pod, Labeled("n", ("zone", "a"))));
        Assert.True(Fits(pod, Labeled("n", ("zone", "a"), ("disk", "ssd"))));
    }

    [Fact]
    public void PreFilter_PodWithoutSelectorOrRequiredAffinity_Skips()
    {
        Assert.Equal(StatusCode.Skip, new NodeAffinity().PreFilter(new CycleState(), Make.Pod("p"), new FakeSnapshot()).Code);
    }

    [Fact]
    public void Score_SumsWeightsOfMatchingPreferredTerms_NormalizedToMax()
    {
        V1Pod pod = Make.Pod("p");
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                PreferredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PreferredSchedulingTerm { Preference = new V1NodeSelectorTerm { MatchExpressions = [Expr("zone", "In", "a")] }, Weight = 20 },
                    new V1PreferredSchedulingTerm { Preference = new V1NodeSelectorTerm { MatchExpressions = [Expr("disk", "In", "ssd")] }, Weight = 60 },
                ],
            },
        };

        long[] scores = TaintTolerationTests.ScoreAll(
            new NodeAffinity(), pod, Labeled("both", ("zone", "a"), ("disk", "ssd")), Labeled("disk", ("disk", "ssd")), Labeled("zone", ("zone", "a")), Labeled("none"));

        Assert.Equal([100, 75, 25, 0], scores);
    }

    [Fact]
    public void PreScore_NoPreferredTerms_Skips()
    {
        Assert.Equal(StatusCode.Skip, new NodeAffinity().PreScore(new CycleState(), Make.Pod("p"), [], new FakeSnapshot()).Code);
    }

    [Fact]
    public void Filter_AddedAffinity_AppliesToPodsWithoutAffinity_WithTheEnforcedReason()
    {
        var added = new V1NodeAffinity
        {
            RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [Expr("pool", "In", "batch")] }] },
        };
        var plugin = new NodeAffinity(added);
        V1Pod pod = Make.Pod("p");

        // Without added affinity the pod has nothing to check and PreFilter skips; with it, the Filter must run.
        Assert.Equal(StatusCode.Skip, new NodeAffinity().PreFilter(new CycleState(), pod, new FakeSnapshot()).Code);
        Assert.Equal(StatusCode.Success, plugin.PreFilter(new CycleState(), pod, new FakeSnapshot()).Code);
        PluginStatus rejected = plugin.Filter(new CycleState(), pod, Make.Info(Labeled("web", ("pool", "web"))));
        Assert.Equal(StatusCode.UnschedulableAndUnresolvable, rejected.Code);
        Assert.Equal(["node(s) didn't match scheduler-enforced node affinity"], rejected.Reasons);
        Assert.True(plugin.Filter(new CycleState(), pod, Make.Info(Labeled("batch", ("pool", "batch")))).IsSuccess);
    }

    [Fact]
    public void Score_AddedPreferredTerms_AddToThePodsOwn()
    {
        var added = new V1NodeAffinity
        {
            PreferredDuringSchedulingIgnoredDuringExecution = [new V1PreferredSchedulingTerm { Weight = 5, Preference = new V1NodeSelectorTerm { MatchExpressions = [Expr("ssd", "Exists")] } }],
        };
        var plugin = new NodeAffinity(added);
        V1Pod pod = Make.Pod("p");

        Assert.Equal(StatusCode.Success, plugin.PreScore(new CycleState(), pod, [], new FakeSnapshot()).Code);
        Assert.Equal(5, plugin.Score(new CycleState(), pod, Make.Info(Labeled("fast", ("ssd", "true")))));
        Assert.Equal(0, plugin.Score(new CycleState(), pod, Make.Info(Labeled("slow"))));
    }

    private static bool Fits(V1Pod pod, V1Node node) => new NodeAffinity().Filter(new CycleState(), pod, Make.Info(node)).IsSuccess;

    private static V1NodeSelectorRequirement Expr(string key, string op, params string[] values) => new() { Key = key, OperatorProperty = op, Values = values };

    private static V1Pod Required(params V1NodeSelectorTerm[] terms)
    {
        V1Pod pod = Make.Pod("p");
        pod.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity { RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = terms } },
        };
        return pod;
    }

    private static V1Node Labeled(string name, params (string Key, string Value)[] labels)
    {
        V1Node node = Make.Node(name);
        foreach ((string key, string value) in labels)
        {
            node.Metadata.Labels[key] = value;
        }

        return node;
    }
}
