using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Tests.Scheduling.Plugins;

public sealed class PodTopologySpreadPluginTests
{
    private const string Zone = "topology.kubernetes.io/zone";
    private const string NotMatch = "node(s) didn't match pod topology spread constraints";

    private readonly PodTopologySpreadPlugin _plugin = new();
    private readonly CrossNodeTestCluster _cluster = new();

    [Fact]
    public void Filter_ZoneSpreadMaxSkewOne_SixReplicasLandTwoPerZone()
    {
        AddZones(("a", 2), ("b", 2), ("c", 2));

        var perZone = new Dictionary<string, int>();
        for (int i = 0; i < 6; i++)
        {
            string? node = _cluster.Schedule(Replica($"web-{i}", HardZone(maxSkew: 1)), _plugin);
            Assert.NotNull(node);
            string zone = _cluster.Find(node)!.Node.Metadata.Labels[Zone];
            perZone[zone] = perZone.GetValueOrDefault(zone) + 1;

            // At no point may one zone be more than one replica ahead of another.
            Assert.True(perZone.Values.Max() - (perZone.Count < 3 ? 0 : perZone.Values.Min()) <= 1);
        }

        Assert.Equal(new Dictionary<string, int> { ["a"] = 2, ["b"] = 2, ["c"] = 2 }, perZone);
    }

    [Fact]
    public void Filter_TwoZonesAheadOfTheThird_OnlyTheEmptyZoneFits_WithUpstreamsReason()
    {
        AddZones(("a", 1), ("b", 1), ("c", 1));
        _cluster.Place("a-0", Replica("web-0", HardZone(1)));
        _cluster.Place("b-0", Replica("web-1", HardZone(1)));
        _cluster.AddNode("no-zone");

        Dictionary<string, PluginStatus> result = _cluster.Filter(new CycleState(), Replica("web-2", HardZone(1)), _plugin);

        Assert.True(result["c-0"].IsSuccess);
        Assert.Equal(StatusCode.Unschedulable, result["a-0"].Code);
        Assert.Equal([NotMatch], result["a-0"].Reasons);
        Assert.Equal([NotMatch], result["b-0"].Reasons);
        Assert.Equal(StatusCode.UnschedulableAndUnresolvable, result["no-zone"].Code);
        Assert.Equal(["node(s) didn't match pod topology spread constraints (missing required label)"], result["no-zone"].Reasons);
    }

    [Fact]
    public void Filter_FewerDomainsThanMinDomains_TreatsTheMinimumAsZero()
    {
        AddZones(("a", 1), ("b", 1));
        _cluster.Place("a-0", Replica("web-0", HardZone(1)));
        _cluster.Place("b-0", Replica("web-1", HardZone(1)));

        // Two zones, each with one replica: the skew is 1 + 1 − 1 = 1 without minDomains…
        Assert.Equal(["a-0", "b-0"], _cluster.Feasible(Replica("web-2", HardZone(1)), _plugin));

        // …but with minDomains 3 the global minimum counts as 0, so a third zone is needed.
        V1TopologySpreadConstraint wantsThree = HardZone(1);
        wantsThree.MinDomains = 3;
        Assert.Empty(_cluster.Feasible(Replica("web-2", wantsThree), _plugin));
        _cluster.AddNode("c-0", (Zone, "c"));
        Assert.Equal(["c-0"], _cluster.Feasible(Replica("web-2", wantsThree), _plugin));
    }

    [Fact]
    public void Filter_NodeAffinityPolicy_HonorLeavesOutZonesThePodCannotUse_IgnoreCountsThem()
    {
        _cluster.AddNode("a-0", (Zone, "a"), ("disk", "ssd"));
        _cluster.AddNode("b-0", (Zone, "b"), ("disk", "ssd"));
        _cluster.AddNode("c-0", (Zone, "c"));
        _cluster.Place("a-0", Replica("web-0", HardZone(1)));
        _cluster.Place("b-0", Replica("web-1", HardZone(1)));

        V1Pod honor = Replica("web-2", HardZone(1));
        honor.Spec.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" };
        V1TopologySpreadConstraint ignoring = HardZone(1);
        ignoring.NodeAffinityPolicy = "Ignore";
        V1Pod ignore = Replica("web-2", ignoring);
        ignore.Spec.NodeSelector = honor.Spec.NodeSelector;

        // Zone c is not for this pod, so its zero does not hold the ssd zones back (c-0 passes this plugin; NodeAffinity rejects it).
        Assert.Equal(["a-0", "b-0", "c-0"], _cluster.Feasible(honor, _plugin));
        Assert.Equal(["c-0"], _cluster.Feasible(ignore, _plugin));
    }

    [Fact]
    public void Filter_RequiredNodeAffinityExcludingAZone_DoesNotHoldTheOtherZonesBack()
    {
        AddZones(("a", 1), ("b", 1), ("c", 1));
        _cluster.Place("a-0", Replica("web-0", HardZone(1)));
        _cluster.Place("b-0", Replica("web-1", HardZone(1)));
        V1Pod notInC = Replica("web-2", HardZone(1));
        notInC.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                {
                    NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = Zone, OperatorProperty = "NotIn", Values = ["c"] }] }],
                },
            },
        };

        Assert.Equal(["a-0", "b-0", "c-0"], _cluster.Feasible(notInC, _plugin));
    }

    [Fact]
    public void Filter_NodeTaintsPolicy_IgnoreByDefault_HonorLeavesOutUntoleratedNodes()
    {
        AddZones(("a", 1), ("b", 1));
        NodeInfo tainted = _cluster.AddNode("c-0", (Zone, "c"));
        tainted.Node.Spec.Taints = [new V1Taint { Key = "dedicated", Value = "gpu", Effect = "NoSchedule" }];
        _cluster.Place("a-0", Replica("web-0", HardZone(1)));
        _cluster.Place("b-0", Replica("web-1", HardZone(1)));

        V1TopologySpreadConstraint honoring = HardZone(1);
        honoring.NodeTaintsPolicy = "Honor";
        V1Pod tolerating = Replica("web-2", honoring);
        tolerating.Spec.Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Exists" }];

        Assert.Equal(["c-0"], _cluster.Feasible(Replica("web-2", HardZone(1)), _plugin));
        Assert.Equal(["a-0", "b-0", "c-0"], _cluster.Feasible(Replica("web-2", honoring), _plugin));
        Assert.Equal(["c-0"], _cluster.Feasible(tolerating, _plugin));
    }

    [Fact]
    public void Filter_MatchLabelKeys_SpreadsEachRevisionOnItsOwn()
    {
        AddZones(("a", 1), ("b", 1));
        _cluster.Place("a-0", Replica("old-0", HardZone(1), ("pod-template-hash", "old")));
        _cluster.Place("a-0", Replica("old-1", HardZone(1), ("pod-template-hash", "old")));

        V1TopologySpreadConstraint perRevision = HardZone(1);
        perRevision.MatchLabelKeys = ["pod-template-hash"];

        Assert.Equal(["b-0"], _cluster.Feasible(Replica("new-0", HardZone(1), ("pod-template-hash", "new")), _plugin));
        Assert.Equal(["a-0", "b-0"], _cluster.Feasible(Replica("new-0", perRevision, ("pod-template-hash", "new")), _plugin));
    }

    [Fact]
    public void Filter_TerminatingAndOtherNamespacePods_DoNotCount()
    {
        AddZones(("a", 1), ("b", 1));
        V1Pod leaving = Replica("web-0", HardZone(1));
        leaving.Metadata.DeletionTimestamp = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        _cluster.Place("a-0", leaving);
        V1Pod foreign = Replica("web-1", HardZone(1));
        foreign.Metadata.NamespaceProperty = "other";
        _cluster.Place("a-0", foreign);

        Assert.Equal(["a-0", "b-0"], _cluster.Feasible(Replica("web-2", HardZone(1)), _plugin));
    }

    [Fact]
    public void PreFilter_NoHardConstraints_Skips()
    {
        AddZones(("a", 1));

        Assert.Equal(StatusCode.Skip, _plugin.PreFilter(new CycleState(), _cluster.Pod("plain"), _cluster).Code);
        Assert.Equal(StatusCode.Skip, _plugin.PreFilter(new CycleState(), Replica("soft", SoftZone()), _cluster).Code);
    }

    [Fact]
    public void Score_SoftZoneSpread_PrefersTheZoneWithFewestMatchingPods()
    {
        AddZones(("a", 1), ("b", 1), ("c", 1));
        _cluster.AddNode("no-zone");
        _cluster.Place("a-0", Replica("web-0", SoftZone()));
        _cluster.Place("a-0", Replica("web-1", SoftZone()));
        _cluster.Place("b-0", Replica("web-2", SoftZone()));
        _cluster.Place("no-zone", Replica("web-3", SoftZone()));

        Dictionary<string, long> scores = _cluster.Scores(_plugin, Replica("web-4", SoftZone()));

        // Raw = matching × ln(3 zones + 2): a = 3, b = 2, c = 0; reversed over max 3 → 0, 33, 100. The unlabelled node is left out.
        Assert.Equal(100, scores["c-0"]);
        Assert.Equal(33, scores["b-0"]);
        Assert.Equal(0, scores["a-0"]);
        Assert.Equal(0, scores["no-zone"]);

        // Soft constraints never filter: every node stays feasible.
        Assert.Equal(4, _cluster.Feasible(Replica("web-4", SoftZone()), _plugin).Count);
    }

    [Fact]
    public void Score_SoftHostnameSpread_CountsPerNode()
    {
        _cluster.AddNode("node-a");
        _cluster.AddNode("node-b");
        _cluster.AddNode("node-c");
        var perHost = new V1TopologySpreadConstraint { MaxSkew = 1, TopologyKey = "kubernetes.io/hostname", WhenUnsatisfiable = "ScheduleAnyway", LabelSelector = WebSelector() };
        _cluster.Place("node-a", Replica("web-0", perHost));
        _cluster.Place("node-a", Replica("web-1", perHost));
        _cluster.Place("node-b", Replica("web-2", perHost));

        Dictionary<string, long> scores = _cluster.Scores(_plugin, Replica("web-3", perHost));

        Assert.True(scores["node-c"] > scores["node-b"]);
        Assert.True(scores["node-b"] > scores["node-a"]);
        Assert.Equal(100, scores["node-c"]);
    }

    [Fact]
    public void PreScore_NoSoftConstraints_Skips()
    {
        AddZones(("a", 1));

        PluginStatus status = _plugin.PreScore(new CycleState(), Replica("web", HardZone(1)), _cluster.Nodes, _cluster);

        Assert.Equal(StatusCode.Skip, status.Code);
    }

    [Fact]
    public void Score_PodWithoutConstraints_ListDefaultsSpreadOverTheLookedUpSelector()
    {
        AddZones(("a", 1), ("b", 1));
        var plugin = new PodTopologySpreadPlugin(
            new PodTopologySpreadArgs
            {
                DefaultingType = PodTopologySpreadDefaultingType.List,
                DefaultConstraints = [new V1TopologySpreadConstraint { MaxSkew = 1, TopologyKey = Zone, WhenUnsatisfiable = "ScheduleAnyway" }],
            },
            _ => WebSelector());
        _cluster.Place("a-0", _cluster.Pod("web-0", ("app", "web")));
        _cluster.Place("a-0", _cluster.Pod("web-1", ("app", "web")));
        _cluster.Place("b-0", _cluster.Pod("other", ("app", "db")));

        Dictionary<string, long> scores = _cluster.Scores(plugin, _cluster.Pod("web-2", ("app", "web")));

        // Zone a holds two pods the looked-up selector matches, zone b none: the default constraint prefers b.
        Assert.Equal(100, scores["b-0"]);
        Assert.True(scores["a-0"] < scores["b-0"]);
    }

    [Fact]
    public void PreFilter_HardListDefaults_FilterLikeThePodsOwnConstraint()
    {
        AddZones(("a", 1), ("b", 1));
        var plugin = new PodTopologySpreadPlugin(
            new PodTopologySpreadArgs
            {
                DefaultingType = PodTopologySpreadDefaultingType.List,
                DefaultConstraints = [new V1TopologySpreadConstraint { MaxSkew = 1, TopologyKey = Zone, WhenUnsatisfiable = "DoNotSchedule" }],
            },
            _ => WebSelector());
        _cluster.Place("a-0", _cluster.Pod("web-0", ("app", "web")));

        Assert.Equal(["b-0"], _cluster.Feasible(_cluster.Pod("web-1", ("app", "web")), plugin));
    }

    [Fact]
    public void PreScore_SystemDefaultsWithoutASelectorLookup_Skips()
    {
        AddZones(("a", 1), ("b", 1));
        var withoutLookup = new PodTopologySpreadPlugin(new PodTopologySpreadArgs());
        var lookupFindsNothing = new PodTopologySpreadPlugin(new PodTopologySpreadArgs(), _ => null);

        // Upstream applies default constraints only with a selector from the pod's Services or controllers.
        Assert.Equal(StatusCode.Skip, withoutLookup.PreScore(new CycleState(), _cluster.Pod("web", ("app", "web")), _cluster.Nodes, _cluster).Code);
        Assert.Equal(StatusCode.Skip, lookupFindsNothing.PreScore(new CycleState(), _cluster.Pod("web", ("app", "web")), _cluster.Nodes, _cluster).Code);
    }

    [Fact]
    public void PreScore_SystemDefaultsWithASelector_ScoresByHostnameAndZone()
    {
        AddZones(("a", 1), ("b", 1));
        var plugin = new PodTopologySpreadPlugin(new PodTopologySpreadArgs(), _ => WebSelector());
        _cluster.Place("a-0", _cluster.Pod("web-0", ("app", "web")));

        Dictionary<string, long> scores = _cluster.Scores(plugin, _cluster.Pod("web-1", ("app", "web")));

        Assert.True(scores["b-0"] > scores["a-0"]);
    }

    private void AddZones(params (string Zone, int Nodes)[] zones)
    {
        foreach ((string zone, int nodes) in zones)
        {
            for (int i = 0; i < nodes; i++)
            {
                _cluster.AddNode($"{zone}-{i}", (Zone, zone));
            }
        }
    }

    private V1Pod Replica(string name, V1TopologySpreadConstraint constraint, params (string Key, string Value)[] extraLabels)
    {
        V1Pod pod = _cluster.Pod(name, [("app", "web"), .. extraLabels]);
        pod.Spec.TopologySpreadConstraints = [constraint];
        return pod;
    }

    private static V1TopologySpreadConstraint HardZone(int maxSkew) =>
        new() { MaxSkew = maxSkew, TopologyKey = Zone, WhenUnsatisfiable = "DoNotSchedule", LabelSelector = WebSelector() };

    private static V1TopologySpreadConstraint SoftZone() =>
        new() { MaxSkew = 1, TopologyKey = Zone, WhenUnsatisfiable = "ScheduleAnyway", LabelSelector = WebSelector() };

    private static V1LabelSelector WebSelector() => new() { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } };
}
