using Skiff.ControlPlane.Scheduling.Configuration;

namespace Skiff.ControlPlane.Tests.Scheduling.Configuration;

public sealed class SchedulerConfigurationValidationTests
{
    private const string Header = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";

    [Theory]
    [InlineData(
        "apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\npercentageOfNodesToScore: 120\n",
        "apiVersion: Unsupported value: \"kubescheduler.config.k8s.io/v1beta3\": supported values: \"kubescheduler.config.k8s.io/v1\"")]
    [InlineData(
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeProxyConfiguration\n",
        "kind: Unsupported value: \"KubeProxyConfiguration\": supported values: \"KubeSchedulerConfiguration\"")]
    [InlineData("kind: KubeSchedulerConfiguration\n", "apiVersion: Required value: must be \"kubescheduler.config.k8s.io/v1\"")]
    public void Parse_NotAKubeSchedulerConfigurationV1_ReportsOnlyThat(string yaml, string expected) => AssertError(yaml, expected);

    [Theory]
    [InlineData("percentageOfNodesToScore: 120\n", "percentageOfNodesToScore: Invalid value: 120: not in valid range [0-100]")]
    [InlineData("profiles:\n- percentageOfNodesToScore: -1\n", "profiles[0].percentageOfNodesToScore: Invalid value: -1: not in valid range [0-100]")]
    [InlineData("percentageOfNodesToScore: half\n", "percentageOfNodesToScore: Invalid value: half: must be an integer")]
    [InlineData("parallelism: 0\n", "parallelism: Invalid value: 0: should be an integer greater than 0")]
    [InlineData("profiles:\n- schedulerName: x\n- schedulerName: y\n- schedulerName: x\n", "profiles[2].schedulerName: Duplicate value: \"x\"")]
    [InlineData("profiles:\n- {}\n- schedulerName: default-scheduler\n", "profiles[1].schedulerName: Duplicate value: \"default-scheduler\"")]
    [InlineData("percentageOfNodes: 10\n", "unknown field \"percentageOfNodes\"")]
    [InlineData("profiles:\n- plugins:\n    scores:\n      enabled: []\n", "unknown field \"profiles[0].plugins.scores\"")]
    [InlineData("extenders:\n- urlPrefix: http://extender\n", "extenders: Forbidden: scheduler extenders are not supported")]
    public void Parse_InvalidTopLevelOrProfileField_NamesTheField(string yaml, string expected) => AssertError(Header + yaml, expected);

    [Theory]
    [InlineData(
        "profiles:\n- plugins:\n    score:\n      enabled:\n      - name: NodeResourcesFitt\n",
        "profiles[0].plugins.score.enabled[0].name: Invalid value: \"NodeResourcesFitt\": no plugin is registered with this name (known: ")]
    [InlineData(
        "profiles:\n- plugins:\n    multiPoint:\n      enabled:\n      - name: Coscheduling\n",
        "profiles[0].plugins.multiPoint.enabled[0].name: Invalid value: \"Coscheduling\": no plugin is registered with this name")]
    [InlineData(
        "profiles:\n- plugins:\n    filter:\n      enabled:\n      - name: ImageLocality\n",
        "profiles[0].plugins.filter.enabled[0].name: Invalid value: \"ImageLocality\": plugin does not extend filter")]
    [InlineData(
        "profiles:\n- plugins:\n    score:\n      enabled:\n      - name: ImageLocality\n        weight: -2\n",
        "profiles[0].plugins.score.enabled[0].weight: Invalid value: -2: must be a non-negative integer")]
    [InlineData(
        "profiles:\n- plugins:\n    score:\n      enabled:\n      - weight: 2\n",
        "profiles[0].plugins.score.enabled[0].name: Required value")]
    public void Parse_InvalidPluginSet_NamesTheEntry(string yaml, string expected) => AssertError(Header + yaml, expected);

    [Theory]
    [InlineData(
        "- name: NodeResourcesFit\n  args: {scoringStrategy: {type: BestFit}}\n",
        "profiles[0].pluginConfig[0].args.scoringStrategy.type: Unsupported value: \"BestFit\": supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\"")]
    [InlineData(
        "- name: NodeResourcesFit\n  args: {scoringStrategy: {type: MostAllocated, resources: [{name: cpu, weight: 0}]}}\n",
        "profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].weight: Invalid value: 0: resource weight of cpu not in valid range [1, 100]")]
    [InlineData(
        "- name: NodeResourcesFit\n  args: {scoringStrategy: {type: RequestedToCapacityRatio}}\n",
        "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio: Required value")]
    [InlineData(
        "- name: NodeResourcesFit\n  args: {scoringStrategy: {type: RequestedToCapacityRatio, requestedToCapacityRatio: {shape: [{utilization: 120, score: 5}]}}}\n",
        "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[0].utilization: Invalid value: 120: not in valid range [0, 100]")]
    [InlineData(
        "- name: NodeResourcesFit\n  args: {scoringStrategy: {type: RequestedToCapacityRatio, requestedToCapacityRatio: {shape: [{utilization: 50, score: 5}, {utilization: 20, score: 1}]}}}\n",
        "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[1].utilization: Invalid value: 20: utilization values must be sorted in increasing order")]
    [InlineData(
        "- name: NodeResourcesFit\n  args: {scoringStrategy: {type: RequestedToCapacityRatio, requestedToCapacityRatio: {shape: [{utilization: 0, score: 11}]}}}\n",
        "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[0].score: Invalid value: 11: not in valid range [0, 10]")]
    [InlineData(
        "- name: NodeResourcesFit\n  args: {ignoredResourceGroups: [example.com/gpu]}\n",
        "profiles[0].pluginConfig[0].args.ignoredResourceGroups[0]: Invalid value: \"example.com/gpu\": resource group name can't contain '/'")]
    [InlineData(
        "- name: NodeResourcesFit\n  args: {kind: NodeResourcesFitArguments}\n",
        "profiles[0].pluginConfig[0].args.kind: Unsupported value: \"NodeResourcesFitArguments\": supported values: \"NodeResourcesFitArgs\"")]
    [InlineData(
        "- name: NodeResourcesBalancedAllocation\n  args: {resources: [{name: cpu, weight: 2}]}\n",
        "profiles[0].pluginConfig[0].args.resources[0].weight: Invalid value: 2: must be 1")]
    [InlineData(
        "- name: InterPodAffinity\n  args: {hardPodAffinityWeight: 110}\n",
        "profiles[0].pluginConfig[0].args.hardPodAffinityWeight: Invalid value: 110: not in valid range [0, 100]")]
    [InlineData(
        "- name: PodTopologySpread\n  args: {defaultConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}]}\n",
        "profiles[0].pluginConfig[0].args.defaultConstraints: Invalid value: [...]: when .defaultingType is \"System\"")]
    [InlineData(
        "- name: PodTopologySpread\n  args: {defaultingType: Custom}\n",
        "profiles[0].pluginConfig[0].args.defaultingType: Unsupported value: \"Custom\": supported values: \"System\", \"List\"")]
    [InlineData(
        "- name: PodTopologySpread\n  args: {defaultingType: List, defaultConstraints: [{maxSkew: 0, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}]}\n",
        "profiles[0].pluginConfig[0].args.defaultConstraints[0].maxSkew: Invalid value: 0: must be greater than zero")]
    [InlineData(
        "- name: PodTopologySpread\n  args: {defaultingType: List, defaultConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {}}]}\n",
        "profiles[0].pluginConfig[0].args.defaultConstraints[0].labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod")]
    [InlineData(
        "- name: PodTopologySpread\n  args: {defaultingType: List, defaultConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}, {maxSkew: 2, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}]}\n",
        "profiles[0].pluginConfig[0].args.defaultConstraints[1]: Duplicate value: \"{zone, ScheduleAnyway}\"")]
    [InlineData(
        "- name: NodeAffinity\n  args: {addedAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: Equals, values: [a]}]}]}}}\n",
        "profiles[0].pluginConfig[0].args.addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: Unsupported value: \"Equals\"")]
    [InlineData(
        "- name: NodeAffinity\n  args: {addedAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 0, preference: {matchExpressions: [{key: ssd, operator: Exists}]}}]}}\n",
        "profiles[0].pluginConfig[0].args.addedAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100")]
    [InlineData(
        "- name: ImageLocality\n- name: ImageLocality\n",
        "profiles[0].pluginConfig[1]: Duplicate value: \"ImageLocality\"")]
    [InlineData(
        "- name: NodeResourcesFitt\n",
        "profiles[0].pluginConfig[0].name: Invalid value: \"NodeResourcesFitt\": no plugin is registered with this name")]
    public void Parse_InvalidPluginArgs_NamesTheArgsField(string pluginConfig, string expected)
    {
        string indented = string.Join("\n", pluginConfig.TrimEnd('\n').Split('\n').Select(line => "  " + line));
        AssertError(Header + "profiles:\n- pluginConfig:\n" + indented + "\n", expected);
    }

    [Fact]
    public void Parse_SeveralInvalidFields_ListsThemAll()
    {
        var error = Assert.Throws<SchedulerConfigurationException>(() => SchedulerConfiguration.Parse(Header + """
            percentageOfNodesToScore: 101
            profiles:
            - schedulerName: a
            - schedulerName: a
            """));

        Assert.Equal(
            ["percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]", "profiles[1].schedulerName: Duplicate value: \"a\""],
            error.Errors);
        Assert.Equal(
            "[percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100], profiles[1].schedulerName: Duplicate value: \"a\"]",
            error.Message);
    }

    [Theory]
    [InlineData("", "the file is empty; it must hold a KubeSchedulerConfiguration object")]
    [InlineData("profiles: [\n", "the file is not valid YAML or JSON: line ")]
    [InlineData("- just\n- a list\n", "the file does not hold a KubeSchedulerConfiguration object")]
    public void Parse_NotAnObject_SaysWhatTheFileMustHold(string text, string expected) => AssertError(text, expected);

    private static void AssertError(string yaml, string expected)
    {
        var error = Assert.Throws<SchedulerConfigurationException>(() => SchedulerConfiguration.Parse(yaml));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }
}
