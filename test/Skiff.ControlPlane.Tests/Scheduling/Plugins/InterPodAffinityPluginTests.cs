using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Tests.Scheduling.Plugins;

public sealed class InterPodAffinityPluginTests
{
    private const string Hostname = "kubernetes.io/hostname";
    private const string Zone = "topology.kubernetes.io/zone";

    private readonly InterPodAffinityPlugin _plugin = new();
    private readonly CrossNodeTestCluster _cluster = new();

    [Fact]
    public void Filter_RequiredAntiAffinityOnHostname_KeepsReplicasOnDistinctNodes_AndTheFourthFitsNowhere()
    {
        _cluster.AddNode("node-a");
        _cluster.AddNode("node-b");
        _cluster.AddNode("node-c");

        var placed = new List<string?>();
        for (int i = 0; i < 3; i++)
        {
            placed.Add(_cluster.Schedule(WebReplica($"web-{i}"), _plugin));
        }

        Assert.Equal(["node-a", "node-b", "node-c"], placed.Order());
        Dictionary<string, PluginStatus> fourth = _cluster.Filter(new CycleState(), WebReplica("web-3"), _plugin);
        Assert.All(fourth.Values, status =>
        {
            Assert.Equal(StatusCode.Unschedulable, status.Code);
            Assert.Equal(["node(s) didn't match pod anti-affinity rules"], status.Reasons);
            Assert.Equal("InterPodAffinity", status.Plugin);
        });
    }

    [Fact]
    public void Filter_ExistingPodsAntiAffinityMatchesIncomingPod_RejectsOnlyThatTopology()
    {
        _cluster.AddNode("node-a", (Zone, "a"));
        _cluster.AddNode("node-b", (Zone, "a"));
        _cluster.AddNode("node-c", (Zone, "b"));
        V1Pod loner = _cluster.Pod("loner", ("app", "loner"));
        loner.Spec.Affinity = new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term(Zone, "app", "batch")] } };
        _cluster.Place("node-a", loner);

        Dictionary<string, PluginStatus> result = _cluster.Filter(new CycleState(), _cluster.Pod("job", ("app", "batch")), _plugin);

        Assert.Equal(["node(s) didn't satisfy existing pods anti-affinity rules"], result["node-a"].Reasons);
        Assert.Equal(["node(s) didn't satisfy existing pods anti-affinity rules"], result["node-b"].Reasons);
        Assert.True(result["node-c"].IsSuccess);
    }

    [Fact]
    public void Filter_RequiredAffinityOnZone_CoLocatesWithTheMatchingPodsZone()
    {
        _cluster.AddNode("node-a", (Zone, "a"));
        _cluster.AddNode("node-b1", (Zone, "b"));
        _cluster.AddNode("node-b2", (Zone, "b"));
        _cluster.AddNode("node-x");
        _cluster.Place("node-b1", _cluster.Pod("cache-0", ("app", "cache")));
        V1Pod web = _cluster.Pod("web", ("app", "web"));
        web.Spec.Affinity = new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term(Zone, "app", "cache")] } };

        Dictionary<string, PluginStatus> result = _cluster.Filter(new CycleState(), web, _plugin);

        Assert.True(result["node-b1"].IsSuccess);
        Assert.True(result["node-b2"].IsSuccess);
        Assert.Equal(StatusCode.UnschedulableAndUnresolvable, result["node-a"].Code);
        Assert.Equal(["node(s) didn't match pod affinity rules"], result["node-a"].Reasons);
        Assert.Equal(["node(s) didn't match pod affinity rules"], result["node-x"].Reasons);
    }

    [Fact]
    public void Filter_AffinityToItsOwnLabelsWithNoMatchYet_LetsTheFirstPodStartOnAnyNodeWithTheTopologyLabel()
    {
        _cluster.AddNode("node-a", (Zone, "a"));
        _cluster.AddNode("node-b", (Zone, "b"));
        _cluster.AddNode("node-x");
        V1Pod first = _cluster.Pod("etl-0", ("app", "etl"));
        first.Spec.Affinity = new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term(Zone, "app", "etl")] } };
        V1Pod stranger = _cluster.Pod("other", ("app", "other"));
        stranger.Spec.Affinity = first.Spec.Affinity;

        Assert.Equal(["node-a", "node-b"], _cluster.Feasible(first, _plugin));
        Assert.Empty(_cluster.Feasible(stranger, _plugin));

        // Once the first is placed, the group follows it.
        _cluster.Place("node-b", first);
        V1Pod second = _cluster.Pod("etl-1", ("app", "etl"));
        second.Spec.Affinity = first.Spec.Affinity;
        Assert.Equal(["node-b"], _cluster.Feasible(second, _plugin));
    }

    [Fact]
    public void Filter_TermNamespaces_DefaultToThePodsOwn_AndNamespaceSelectorUsesTheLookup()
    {
        _cluster.AddNode("node-a");
        _cluster.AddNode("node-b");
        V1Pod elsewhere = _cluster.Pod("db", ("app", "db"));
        elsewhere.Metadata.NamespaceProperty = "team-b";
        _cluster.Place("node-a", elsewhere);
        V1Pod pod = _cluster.Pod("client", ("app", "client"));
        V1PodAffinityTerm term = Term(Hostname, "app", "db");
        pod.Spec.Affinity = new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [term] } };

        // Same labels in another namespace: the term does not see it.
        Assert.Equal(["node-a", "node-b"], _cluster.Feasible(pod, _plugin));

        term.NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["team"] = "b" } };
        var withLabels = new InterPodAffinityPlugin(ns => ns == "team-b" ? new Dictionary<string, string> { ["team"] = "b" } : null);
        Assert.Equal(["node-b"], _cluster.Feasible(pod, withLabels));

        // Without namespace labels only an empty selector ({} = all namespaces) can match.
        Assert.Equal(["node-a", "node-b"], _cluster.Feasible(pod, _plugin));
        term.NamespaceSelector = new V1LabelSelector();
        Assert.Equal(["node-b"], _cluster.Feasible(pod, _plugin));
    }

    [Fact]
    public void PreFilter_NoTermsAnywhere_Skips()
    {
        _cluster.AddNode("node-a");
        _cluster.Place("node-a", _cluster.Pod("plain", ("app", "plain")));

        PluginStatus status = _plugin.PreFilter(new CycleState(), _cluster.Pod("new", ("app", "plain")), _cluster);

        Assert.Equal(StatusCode.Skip, status.Code);
    }

    [Fact]
    public void Score_PreferredAffinityAndAntiAffinity_RankByWeightNormalizedMinMax()
    {
        _cluster.AddNode("node-a1", (Zone, "a"));
        _cluster.AddNode("node-a2", (Zone, "a"));
        _cluster.AddNode("node-b", (Zone, "b"));
        _cluster.Place("node-a1", _cluster.Pod("cache-0", ("app", "cache")));
        _cluster.Place("node-a1", _cluster.Pod("web-0", ("app", "web")));
        V1Pod web = _cluster.Pod("web-1", ("app", "web"));
        web.Spec.Affinity = new V1Affinity
        {
            PodAffinity = new V1PodAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [Weighted(Term(Zone, "app", "cache"), 100)] },
            PodAntiAffinity = new V1PodAntiAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [Weighted(Term(Hostname, "app", "web"), 50)] },
        };

        Dictionary<string, long> scores = _cluster.Scores(_plugin, web);

        // Raw: a1 = 100 (cache's zone) − 50 (a web pod on the host) = 50, a2 = 100, b = 0.
        Assert.Equal(100, scores["node-a2"]);
        Assert.Equal(50, scores["node-a1"]);
        Assert.Equal(0, scores["node-b"]);
        Assert.Equal("node-a2", _cluster.Schedule(web, _plugin));
    }

    [Fact]
    public void Score_ExistingPodsRequiredAffinityAndPreferredAntiAffinity_CountForTheIncomingPod()
    {
        _cluster.AddNode("node-a");
        _cluster.AddNode("node-b");
        _cluster.AddNode("node-c");
        V1Pod sidecarFan = _cluster.Pod("fan", ("app", "fan"));
        sidecarFan.Spec.Affinity = new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term(Hostname, "app", "web")] } };
        _cluster.Place("node-b", sidecarFan);
        V1Pod shy = _cluster.Pod("shy", ("app", "shy"));
        shy.Spec.Affinity = new V1Affinity
        {
            PodAntiAffinity = new V1PodAntiAffinity { PreferredDuringSchedulingIgnoredDuringExecution = [Weighted(Term(Hostname, "app", "web"), 5)] },
        };
        _cluster.Place("node-c", shy);

        Dictionary<string, long> scores = _cluster.Scores(_plugin, _cluster.Pod("web", ("app", "web")));

        // Raw: b = +1 (hardPodAffinityWeight), a = 0, c = −5.
        Assert.Equal(100, scores["node-b"]);
        Assert.Equal(83, scores["node-a"]);
        Assert.Equal(0, scores["node-c"]);

        // hardPodAffinityWeight 0 turns the existing pod's required affinity off as a preference.
        Dictionary<string, long> unweighted = _cluster.Scores(new InterPodAffinityPlugin(hardPodAffinityWeight: 0), _cluster.Pod("web-2", ("app", "web")));
        Assert.Equal(100, unweighted["node-a"]);
        Assert.Equal(100, unweighted["node-b"]);
        Assert.Equal(0, unweighted["node-c"]);
    }

    [Fact]
    public void Score_NothingPreferredAnywhere_SkipsSoEveryNodeIsEqual()
    {
        _cluster.AddNode("node-a");
        _cluster.AddNode("node-b");

        PluginStatus status = _plugin.PreScore(new CycleState(), _cluster.Pod("web", ("app", "web")), _cluster.Nodes, _cluster);

        Assert.Equal(StatusCode.Skip, status.Code);
    }

    private V1Pod WebReplica(string name)
    {
        V1Pod pod = _cluster.Pod(name, ("app", "web"));
        pod.Spec.Affinity = new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term(Hostname, "app", "web")] } };
        return pod;
    }

    private static V1WeightedPodAffinityTerm Weighted(V1PodAffinityTerm term, int weight) => new() { PodAffinityTerm = term, Weight = weight };

    private static V1PodAffinityTerm Term(string topologyKey, string key, string value) => new()
    {
        TopologyKey = topologyKey,
        LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [key] = value } },
    };
}
