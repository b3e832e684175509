using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Skiff.ControlPlane.Scheduling;
using Skiff.ControlPlane.Scheduling.Cache;
using Skiff.ControlPlane.Scheduling.Configuration;
using Skiff.ControlPlane.Scheduling.Queue;

namespace Skiff.ControlPlane.Tests.Scheduling.Configuration;

/// <summary>Profiles from configuration files, run through <see cref="Scheduler.SchedulePod"/> with the real plugins.</summary>
public sealed class ConfiguredProfileSchedulingTests : IDisposable
{
    private const string Header = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";
    private const string Zone = "topology.kubernetes.io/zone";

    private readonly FakeTimeProvider _time = new();
    private readonly SchedulingQueue _queue;
    private readonly SchedulerCache _cache;

    public ConfiguredProfileSchedulingTests()
    {
        _queue = new SchedulingQueue(_time);
        _cache = new SchedulerCache(_time);
    }

    public void Dispose() => _queue.Dispose();

    [Fact]
    public void SchedulePod_TaintTolerationScoreDisabled_GoesToTheEmptierPreferNoScheduleNode()
    {
        // "tainted" is emptier (NodeResourcesFit prefers it) but has a PreferNoSchedule taint (TaintToleration, weight 3, avoids it).
        V1Node tainted = Node("tainted");
        tainted.Spec = new V1NodeSpec { Taints = [new V1Taint { Key = "spot", Effect = "PreferNoSchedule" }] };
        _cache.AddNode(tainted);
        _cache.AddNode(Node("busy"));
        _cache.AddPod(Bound("existing", "busy", cpu: "2", memory: "4Gi"));
        Profile defaults = ProfileFrom("profiles:\n- schedulerName: default-scheduler\n");
        Profile withoutTaintScore = ProfileFrom("""
            profiles:
            - plugins:
                score:
                  disabled:
                  - name: TaintToleration
            """);

        Assert.Equal("busy", Schedule(defaults, Pod("web", cpu: "1", memory: "1Gi")));
        Assert.Equal("tainted", Schedule(withoutTaintScore, Pod("web", cpu: "1", memory: "1Gi")));
    }

    [Fact]
    public void SchedulePod_TaintTolerationFilterDisabled_LandsOnANoScheduleNode()
    {
        V1Node tainted = Node("tainted");
        tainted.Spec = new V1NodeSpec { Taints = [new V1Taint { Key = "dedicated", Effect = "NoSchedule" }] };
        _cache.AddNode(tainted);
        Profile defaults = ProfileFrom("profiles:\n- schedulerName: default-scheduler\n");
        Profile withoutTaintFilter = ProfileFrom("""
            profiles:
            - plugins:
                filter:
                  disabled:
                  - name: TaintToleration
            """);

        ScheduleResult rejected = CreateScheduler(defaults).SchedulePod(defaults, Pod("web"), _cache.UpdateSnapshot());
        Assert.Null(rejected.NodeName);
        Assert.Equal("0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: }.", rejected.FailureMessage);
        Assert.Equal("tainted", Schedule(withoutTaintFilter, Pod("web")));
    }

    [Theory]
    [InlineData("LeastAllocated", "", "empty")]
    [InlineData("MostAllocated", "", "half-full")]
    [InlineData("RequestedToCapacityRatio", ", requestedToCapacityRatio: {shape: [{utilization: 0, score: 0}, {utilization: 100, score: 10}]}", "half-full")]
    public void SchedulePod_ScoringStrategy_SpreadsOrPacks(string strategy, string extra, string expected)
    {
        _cache.AddNode(Node("empty"));
        _cache.AddNode(Node("half-full"));
        _cache.AddPod(Bound("existing", "half-full", cpu: "2", memory: "4Gi"));
        Profile profile = ProfileFrom($$"""
            profiles:
            - pluginConfig:
              - name: NodeResourcesFit
                args:
                  scoringStrategy: {type: {{strategy}}{{extra}}}
            """);

        // Requests in the nodes' cpu:memory ratio keep NodeResourcesBalancedAllocation neutral: the strategy decides.
        Assert.Equal(expected, Schedule(profile, Pod("web", cpu: "1", memory: "2Gi")));
    }

    [Theory]
    [InlineData("percentageOfNodesToScore: 20\n", 200)]
    [InlineData("percentageOfNodesToScore: 20\nprofiles:\n- percentageOfNodesToScore: 35\n", 350)]
    [InlineData("profiles:\n- percentageOfNodesToScore: 100\n", 1000)]
    [InlineData("", 420)]
    public void SchedulePod_PercentageOfNodesToScore_BoundsTheNodesFiltered(string yaml, int expected)
    {
        for (int i = 0; i < 1000; i++)
        {
            _cache.AddNode(Node($"n{i:D4}"));
        }

        Profile profile = ProfileFrom(yaml);
        ScheduleResult result = CreateScheduler(profile).SchedulePod(profile, Pod("web"), _cache.UpdateSnapshot());

        Assert.NotNull(result.NodeName);
        Assert.Equal((expected, expected), (result.EvaluatedNodes, result.FeasibleNodes));
    }

    [Fact]
    public void SchedulePod_ListDefaultConstraints_SpreadPodsWithoutTheirOwn()
    {
        _cache.AddNode(Node("a", (Zone, "a")));
        _cache.AddNode(Node("b", (Zone, "b")));
        V1Pod existing = Bound("web-0", "a", cpu: "1", memory: "1Gi");
        existing.Metadata.Labels = new Dictionary<string, string> { ["app"] = "web" };
        _cache.AddPod(existing);
        var context = new PluginFactoryContext(DefaultSpreadSelector: pod => new V1LabelSelector { MatchLabels = pod.Metadata.Labels });
        Profile profile = Assert.Single(SchedulerConfiguration.Parse(Header + """
            profiles:
            - pluginConfig:
              - name: PodTopologySpread
                args:
                  defaultingType: List
                  defaultConstraints:
                  - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}
            """).BuildProfiles(context));
        V1Pod pod = Pod("web-1", cpu: "1", memory: "1Gi");
        pod.Metadata.Labels = new Dictionary<string, string> { ["app"] = "web" };

        // Zone a already holds one web pod; maxSkew 1 leaves only zone b, though "a" would otherwise be as good.
        ScheduleResult result = CreateScheduler(profile).SchedulePod(profile, pod, _cache.UpdateSnapshot());

        Assert.Equal("b", result.NodeName);
        Assert.Equal(1, result.FeasibleNodes);
    }

    [Fact]
    public void SchedulePod_AddedAffinity_KeepsTheProfilesPodsOnItsNodes()
    {
        _cache.AddNode(Node("web-node", ("pool", "web")));
        _cache.AddNode(Node("batch-node", ("pool", "batch")));
        Profile profile = ProfileFrom("""
            profiles:
            - schedulerName: batch-scheduler
              pluginConfig:
              - name: NodeAffinity
                args:
                  addedAffinity:
                    requiredDuringSchedulingIgnoredDuringExecution:
                      nodeSelectorTerms:
                      - matchExpressions:
                        - {key: pool, operator: In, values: [batch]}
            """);

        ScheduleResult result = CreateScheduler(profile).SchedulePod(profile, Pod("job"), _cache.UpdateSnapshot());

        Assert.Equal("batch-node", result.NodeName);
        Assert.Equal(1, result.FeasibleNodes);
    }

    private static Profile ProfileFrom(string yaml) => Assert.Single(SchedulerConfiguration.Parse(Header + yaml).BuildProfiles(new()));

    private string? Schedule(Profile profile, V1Pod pod) => CreateScheduler(profile).SchedulePod(profile, pod, _cache.UpdateSnapshot()).NodeName;

    private Scheduler CreateScheduler(Profile profile) =>
        new([profile], _queue, _cache, (_, _, _) => Task.CompletedTask, null, NullLogger<Scheduler>.Instance, parallelism: 1);

    private static V1Node Node(string name, params (string Key, string Value)[] labels)
    {
        var nodeLabels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name };
        foreach ((string key, string value) in labels)
        {
            nodeLabels[key] = value;
        }

        return new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = nodeLabels },
            Spec = new V1NodeSpec(),
            Status = new V1NodeStatus
            {
                Allocatable = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("4"), ["memory"] = new("8Gi"), ["pods"] = new("110") },
            },
        };
    }

    private static V1Pod Pod(string name, string? cpu = null, string? memory = null)
    {
        var requests = new Dictionary<string, ResourceQuantity>();
        if (cpu is not null)
        {
            requests["cpu"] = new ResourceQuantity(cpu);
        }

        if (memory is not null)
        {
            requests["memory"] = new ResourceQuantity(memory);
        }

        return new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = $"uid-{name}" },
            Spec = new V1PodSpec
            {
                Containers = [new V1Container { Name = "app", Image = "app", Resources = new V1ResourceRequirements { Requests = requests } }],
            },
        };
    }

    private static V1Pod Bound(string name, string nodeName, string cpu, string memory)
    {
        V1Pod pod = Pod(name, cpu, memory);
        pod.Spec.NodeName = nodeName;
        return pod;
    }
}
