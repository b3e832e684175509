using Skiff.ControlPlane.Scheduling;
using Skiff.ControlPlane.Scheduling.Configuration;

namespace Skiff.ControlPlane.Tests.Scheduling.Configuration;

public sealed class SchedulerConfigurationTests
{
    private const string Header = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";

    [Fact]
    public void Parse_TwoProfiles_GivesEachItsNamePluginsAndWeights()
    {
        SchedulerConfiguration config = SchedulerConfiguration.Parse(Header + """
            profiles:
            - schedulerName: default-scheduler
            - schedulerName: bin-packing
              plugins:
                score:
                  disabled:
                  - name: NodeResourcesBalancedAllocation
                  - name: ImageLocality
                  enabled:
                  - name: NodeResourcesFit
                    weight: 5
              pluginConfig:
              - name: NodeResourcesFit
                args:
                  scoringStrategy:
                    type: MostAllocated
            """);

        Assert.Equal(["default-scheduler", "bin-packing"], config.BuildProfiles(new()).Select(p => p.SchedulerName));
        Assert.Equal(
            [("TaintToleration", 3), ("NodeAffinity", 2), ("NodeResourcesFit", 1), ("PodTopologySpread", 2), ("InterPodAffinity", 2),
                ("NodeResourcesBalancedAllocation", 1), ("ImageLocality", 1)],
            Scores(config.BuildProfiles(new())[0]));

        // An explicitly enabled score plugin comes first with its own weight; the disabled ones are gone from Score only.
        Profile packing = config.BuildProfiles(new())[1];
        Assert.Equal([("NodeResourcesFit", 5), ("TaintToleration", 3), ("NodeAffinity", 2), ("PodTopologySpread", 2), ("InterPodAffinity", 2)], Scores(packing));
        Assert.Contains("NodeResourcesBalancedAllocation", packing.PreScore.Select(p => p.Name));
        Assert.Equal(Names(config.BuildProfiles(new())[0].Filter), Names(packing.Filter));
    }

    [Fact]
    public void DefaultProfile_Create_HasUpstreamsPluginsAtEachExtensionPoint()
    {
        Profile profile = DefaultProfile.Create();

        Assert.Equal(["NodeAffinity", "NodePorts", "NodeResourcesFit", "VolumeBinding", "PodTopologySpread", "InterPodAffinity"], Names(profile.PreFilter));
        Assert.Equal(
            ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit", "VolumeBinding", "PodTopologySpread", "InterPodAffinity"],
            Names(profile.Filter));
        Assert.Equal(
            ["TaintToleration", "NodeAffinity", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity", "NodeResourcesBalancedAllocation", "ImageLocality"],
            Names(profile.PreScore));
        Assert.Equal(["DefaultPreemption"], Names(profile.PostFilter));
        Assert.Equal(
            ["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit", "VolumeBinding", "PodTopologySpread",
                "InterPodAffinity", "DefaultPreemption", "NodeResourcesBalancedAllocation", "ImageLocality"],
            profile.Plugins.Select(p => p.Plugin.Name));
    }

    [Fact]
    public void Parse_NoProfiles_GivesTheDefaultProfile()
    {
        SchedulerConfiguration config = SchedulerConfiguration.Parse(Header);

        Profile profile = Assert.Single(config.BuildProfiles(new()));
        Profile expected = DefaultProfile.Create();
        Assert.Equal("default-scheduler", profile.SchedulerName);
        Assert.Equal(Scores(expected), Scores(profile));
        Assert.Equal(Names(expected.Filter), Names(profile.Filter));
        Assert.Null(profile.PercentageOfNodesToScore);
        Assert.Null(config.Parallelism);
    }

    [Fact]
    public void Parse_FilterDisabledAtOnePoint_KeepsThePluginsOtherPoints()
    {
        Profile profile = Single("""
            profiles:
            - plugins:
                filter:
                  disabled:
                  - name: TaintToleration
            """);

        Assert.DoesNotContain("TaintToleration", Names(profile.Filter));
        Assert.Contains(("TaintToleration", 3), Scores(profile));

        // One instance serves every point the plugin still runs at.
        Assert.Same(profile.PreScore.Single(p => p.Name == "TaintToleration"), profile.Score.Single(s => s.Plugin.Name == "TaintToleration").Plugin);
    }

    [Fact]
    public void Parse_StarDisabled_LeavesOnlyThePointsExplicitlyEnabledPlugins()
    {
        Profile profile = Single("""
            profiles:
            - plugins:
                score:
                  disabled:
                  - name: "*"
                  enabled:
                  - name: ImageLocality
                    weight: 7
            """);

        Assert.Equal([("ImageLocality", 7)], Scores(profile));
        Assert.Equal(9, profile.Filter.Count);
    }

    [Fact]
    public void Parse_MultiPointEntries_ReweightInPlace_DisableEverywhere_AndEnableWithWeightOne()
    {
        Profile profile = Single("""
            profiles:
            - plugins:
                multiPoint:
                  enabled:
                  - name: TaintToleration
                    weight: 10
                  disabled:
                  - name: NodeAffinity
                  - name: ImageLocality
            """);

        Assert.Equal([("TaintToleration", 10), ("NodeResourcesFit", 1), ("PodTopologySpread", 2), ("InterPodAffinity", 2), ("NodeResourcesBalancedAllocation", 1)], Scores(profile));
        Assert.DoesNotContain("NodeAffinity", Names(profile.Filter));
        Assert.DoesNotContain("NodeAffinity", Names(profile.PreFilter));

        Profile starred = Single("""
            profiles:
            - plugins:
                multiPoint:
                  disabled:
                  - name: "*"
                  enabled:
                  - name: NodeResourcesFit
            """);
        Assert.Equal(["NodeResourcesFit"], Names(starred.Filter));
        Assert.Equal([("NodeResourcesFit", 1)], Scores(starred));
        Assert.Empty(starred.PostFilter);
    }

    [Fact]
    public void Parse_PercentageOfNodesToScore_ProfileValueWinsOverTopLevel_AbsentIsAdaptive()
    {
        SchedulerConfiguration config = SchedulerConfiguration.Parse(Header + """
            percentageOfNodesToScore: 30
            profiles:
            - schedulerName: a
            - schedulerName: b
              percentageOfNodesToScore: 70
            """);

        Assert.Equal([30, 70], config.BuildProfiles(new()).Select(p => p.PercentageOfNodesToScore));
        Assert.Null(Single("profiles:\n- schedulerName: c\n").PercentageOfNodesToScore);
    }

    [Fact]
    public void Parse_UpstreamsOwnNames_AreAccepted()
    {
        SchedulerConfiguration config = SchedulerConfiguration.Parse(Header + """
            parallelism: 8
            leaderElection:
              leaderElect: true
            profiles:
            - plugins:
                queueSort:
                  enabled:
                  - name: PrioritySort
                postFilter:
                  disabled:
                  - name: DefaultPreemption
                bind:
                  enabled:
                  - name: DefaultBinder
              pluginConfig:
              - name: DefaultPreemption
                args:
                  minCandidateNodesPercentage: 10
              - name: InterPodAffinity
                args:
                  apiVersion: kubescheduler.config.k8s.io/v1
                  kind: InterPodAffinityArgs
                  hardPodAffinityWeight: 0
            """);

        Assert.Equal(8, config.Parallelism);
        Assert.Empty(config.BuildProfiles(new())[0].PostFilter);
        Assert.Equal(11, config.BuildProfiles(new())[0].Plugins.Count);
    }

    [Fact]
    public void LoadProfiles_JsonFile_ReadsTheSameConfiguration()
    {
        string path = Path.Combine(Path.GetTempPath(), $"skiff-scheduler-{Guid.NewGuid():N}.json");
        // Tab-indented, as some JSON writers produce.
        File.WriteAllText(path, "{\n\t\"apiVersion\": \"kubescheduler.config.k8s.io/v1\",\n\t\"kind\": \"KubeSchedulerConfiguration\",\n\t\"profiles\": [\n\t\t{\"schedulerName\": \"json-scheduler\", \"percentageOfNodesToScore\": 40,\n\t\t\"plugins\": {\"score\": {\"disabled\": [{\"name\": \"ImageLocality\"}]}}}\n\t]\n}\n");
        try
        {
            Profile profile = Assert.Single(SchedulerConfiguration.LoadProfiles(path));

            Assert.Equal("json-scheduler", profile.SchedulerName);
            Assert.Equal(40, profile.PercentageOfNodesToScore);
            Assert.DoesNotContain("ImageLocality", Scores(profile).Select(s => s.Name));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadProfileFactory_ValidatesAtOnce_ThenBuildsFreshPluginsPerCallWithoutRereading()
    {
        string path = Path.Combine(Path.GetTempPath(), $"skiff-scheduler-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, Header + "profiles:\n- schedulerName: a\n- schedulerName: b\n");
        Func<PluginFactoryContext, IReadOnlyList<Profile>> factory;
        try
        {
            factory = SchedulerConfiguration.LoadProfileFactory(path);
        }
        finally
        {
            File.Delete(path);
        }

        IReadOnlyList<Profile> first = factory(new PluginFactoryContext());
        IReadOnlyList<Profile> second = factory(new PluginFactoryContext());

        Assert.Equal(["a", "b"], first.Select(p => p.SchedulerName));
        Assert.NotSame(first[0].Filter[0], second[0].Filter[0]);

        File.WriteAllText(path, Header + "percentageOfNodesToScore: 120\n");
        try
        {
            var error = Assert.Throws<SchedulerConfigurationException>(() => SchedulerConfiguration.LoadProfileFactory(path));
            Assert.Equal("percentageOfNodesToScore: Invalid value: 120: not in valid range [0-100]", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadProfiles_MissingFile_ThrowsNamingThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"skiff-missing-{Guid.NewGuid():N}.yaml");

        var error = Assert.Throws<SchedulerConfigurationException>(() => SchedulerConfiguration.LoadProfiles(path));

        Assert.StartsWith($"reading scheduler configuration {path}: ", error.Message, StringComparison.Ordinal);
    }

    private static Profile Single(string yaml) => Assert.Single(SchedulerConfiguration.Parse(Header + yaml).BuildProfiles(new()));

    private static List<string> Names(IEnumerable<Skiff.ControlPlane.Scheduling.Framework.IPlugin> plugins) => [.. plugins.Select(p => p.Name)];

    private static List<(string Name, int Weight)> Scores(Profile profile) => [.. profile.Score.Select(s => (s.Plugin.Name, s.Weight))];
}
