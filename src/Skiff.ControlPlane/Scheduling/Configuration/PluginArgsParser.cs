using Skiff.ControlPlane.Scheduling.Plugins;
using YamlDotNet.RepresentationModel;

namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>
/// Decodes and validates pluginConfig args for the plugins that take them, with upstream's defaults and range checks. Args of
/// other known plugins (VolumeBinding, …) are accepted unread, so upstream's own
/// configurations load.
/// </summary>
internal static partial class PluginArgsParser
{
    private static readonly string[] s_strategies = [.. Enum.GetNames<ScoringStrategyType>()];

    public static object? Parse(ConfigReader reader, string plugin, YamlNode? args, string path) => plugin switch
    {
        NodeResourcesFit.PluginName => NodeResourcesFitArgs(reader, args, path),
        NodeResourcesBalancedAllocation.PluginName => BalancedAllocationArgs(reader, args, path),
        InterPodAffinityPlugin.PluginName => InterPodAffinityArgs(reader, args, path),
        PodTopologySpreadPlugin.PluginName => PodTopologySpreadArgs(reader, args, path),
        NodeAffinity.PluginName => NodeAffinityArgs(reader, args, path),
        DefaultPreemption.PluginName => DefaultPreemptionArgs(reader, args, path),
        _ => null,
    };

    private static Dictionary<string, YamlNode>? Fields(ConfigReader reader, YamlNode? args, string path, string plugin, params string[] known)
    {
        Dictionary<string, YamlNode>? fields = reader.Object(args, path, ["apiVersion", "kind", .. known]);
        if (fields is null)
        {
            return null;
        }

        string? kind = reader.String(fields.GetValueOrDefault("kind"), ConfigReader.Field(path, "kind"));
        if (kind is not null && kind != plugin + "Args")
        {
            reader.Unsupported(ConfigReader.Field(path, "kind"), kind, [plugin + "Args"]);
        }

        string? apiVersion = reader.String(fields.GetValueOrDefault("apiVersion"), ConfigReader.Field(path, "apiVersion"));
        if (apiVersion is not null && apiVersion != SchedulerConfigurationParser.ApiVersion)
        {
            reader.Unsupported(ConfigReader.Field(path, "apiVersion"), apiVersion, [SchedulerConfigurationParser.ApiVersion]);
        }

        return fields;
    }

    private static NodeResourcesFitArgs? NodeResourcesFitArgs(ConfigReader reader, YamlNode? args, string path)
    {
        Dictionary<string, YamlNode>? fields = Fields(reader, args, path, NodeResourcesFit.PluginName, "ignoredResources", "ignoredResourceGroups", "scoringStrategy");
        if (fields is null)
        {
            return null;
        }

        var result = new NodeResourcesFitArgs
        {
            IgnoredResources = reader.Strings(fields.GetValueOrDefault("ignoredResources"), ConfigReader.Field(path, "ignoredResources")).ToHashSet(StringComparer.Ordinal),
            IgnoredResourceGroups = IgnoredResourceGroups(reader, fields.GetValueOrDefault("ignoredResourceGroups"), ConfigReader.Field(path, "ignoredResourceGroups")),
        };

        string strategyPath = ConfigReader.Field(path, "scoringStrategy");
        Dictionary<string, YamlNode>? strategy = reader.Object(fields.GetValueOrDefault("scoringStrategy"), strategyPath, "type", "resources", "requestedToCapacityRatio");
        if (strategy is null)
        {
            return result;
        }

        string typePath = ConfigReader.Field(strategyPath, "type");
        string type = reader.String(strategy.GetValueOrDefault("type"), typePath) ?? string.Empty;
        if (!Enum.TryParse(type, ignoreCase: false, out ScoringStrategyType strategyType) || !s_strategies.Contains(type, StringComparer.Ordinal))
        {
            reader.Unsupported(typePath, type, s_strategies);
            return result;
        }

        List<ResourceWeight> resources = Resources(reader, strategy.GetValueOrDefault("resources"), ConfigReader.Field(strategyPath, "resources"), maxWeight: 100);
        result = result with { Strategy = strategyType, Resources = resources.Count == 0 ? result.Resources : resources };

        string ratioPath = ConfigReader.Field(strategyPath, "requestedToCapacityRatio");
        Dictionary<string, YamlNode>? ratio = reader.Object(strategy.GetValueOrDefault("requestedToCapacityRatio"), ratioPath, "shape");
        if (strategyType != ScoringStrategyType.RequestedToCapacityRatio)
        {
            return result;
        }

        if (ratio is null)
        {
            reader.Required(ratioPath);
            return result;
        }

        return result with { Shape = Shape(reader, ratio.GetValueOrDefault("shape"), ConfigReader.Field(ratioPath, "shape")) };
    }

    private static HashSet<string> IgnoredResourceGroups(ConfigReader reader, YamlNode? node, string path)
    {
        List<string> groups = reader.Strings(node, path);
        for (int i = 0; i < groups.Count; i++)
        {
            if (groups[i].Contains('/', StringComparison.Ordinal))
            {
                reader.Invalid(ConfigReader.Index(path, i), ConfigReader.Quote(groups[i]), "resource group name can't contain '/'");
            }
        }

        return groups.ToHashSet(StringComparer.Ordinal);
    }

    private static List<ResourceWeight> Resources(ConfigReader reader, YamlNode? node, string path, long maxWeight)
    {
        var resources = new List<ResourceWeight>();
        IReadOnlyList<YamlNode> items = reader.List(node, path);
        for (int i = 0; i < items.Count; i++)
        {
            string itemPath = ConfigReader.Index(path, i);
            Dictionary<string, YamlNode> item = reader.Object(items[i], itemPath, "name", "weight") ?? [];
            string? name = reader.String(item.GetValueOrDefault("name"), ConfigReader.Field(itemPath, "name"));
            long weight = reader.Integer(item.GetValueOrDefault("weight"), ConfigReader.Field(itemPath, "weight")) ?? 1;
            if (string.IsNullOrEmpty(name))
            {
                reader.Required(ConfigReader.Field(itemPath, "name"));
                continue;
            }

            if (resources.Any(r => r.Name == name))
            {
                reader.Duplicate(ConfigReader.Field(itemPath, "name"), name);
                continue;
            }

            if (weight < 1 || weight > maxWeight)
            {
                reader.Invalid(
                    ConfigReader.Field(itemPath, "weight"), weight, maxWeight == 1 ? "must be 1" : $"resource weight of {name} not in valid range [1, {maxWeight}]");
                continue;
            }

            resources.Add(new ResourceWeight(name, weight));
        }

        return resources;
    }

    private static List<UtilizationShapePoint> Shape(ConfigReader reader, YamlNode? node, string path)
    {
        var shape = new List<UtilizationShapePoint>();
        IReadOnlyList<YamlNode> items = reader.List(node, path);
        if (items.Count == 0)
        {
            reader.Required(path, "at least one point must be specified");
        }

        for (int i = 0; i < items.Count; i++)
        {
            string itemPath = ConfigReader.Index(path, i);
            Dictionary<string, YamlNode> item = reader.Object(items[i], itemPath, "utilization", "score") ?? [];
            long utilization = reader.Integer(item.GetValueOrDefault("utilization"), ConfigReader.Field(itemPath, "utilization")) ?? 0;
            long score = reader.Integer(item.GetValueOrDefault("score"), ConfigReader.Field(itemPath, "score")) ?? 0;
            bool valid = true;
            if (utilization is < 0 or > 100)
            {
                reader.Invalid(ConfigReader.Field(itemPath, "utilization"), utilization, "not in valid range [0, 100]");
                valid = false;
            }
            else if (shape.Count > 0 && utilization <= shape[^1].Utilization)
            {
                reader.Invalid(ConfigReader.Field(itemPath, "utilization"), utilization, "utilization values must be sorted in increasing order");
                valid = false;
            }

            if (score is < 0 or > 10)
            {
                reader.Invalid(ConfigReader.Field(itemPath, "score"), score, "not in valid range [0, 10]");
                valid = false;
            }

            if (valid)
            {
                shape.Add(new UtilizationShapePoint((int)utilization, (int)score));
            }
        }

        return shape;
    }

    private static NodeResourcesBalancedAllocationArgs? BalancedAllocationArgs(ConfigReader reader, YamlNode? args, string path)
    {
        Dictionary<string, YamlNode>? fields = Fields(reader, args, path, NodeResourcesBalancedAllocation.PluginName, "resources");
        if (fields is null)
        {
            return null;
        }

        // The weights are not used by the plugin; upstream requires them to be 1.
        List<ResourceWeight> resources = Resources(reader, fields.GetValueOrDefault("resources"), ConfigReader.Field(path, "resources"), maxWeight: 1);
        return resources.Count == 0 ? null : new NodeResourcesBalancedAllocationArgs(resources);
    }

    private static InterPodAffinityArgs? InterPodAffinityArgs(ConfigReader reader, YamlNode? args, string path)
    {
        Dictionary<string, YamlNode>? fields = Fields(reader, args, path, InterPodAffinityPlugin.PluginName, "hardPodAffinityWeight", "ignorePreferredTermsOfExistingPods");
        if (fields is null)
        {
            return null;
        }

        string weightPath = ConfigReader.Field(path, "hardPodAffinityWeight");
        long weight = reader.Integer(fields.GetValueOrDefault("hardPodAffinityWeight"), weightPath) ?? 1;
        if (weight is < 0 or > 100)
        {
            reader.Invalid(weightPath, weight, "not in valid range [0, 100]");
            return null;
        }

        string ignorePath = ConfigReader.Field(path, "ignorePreferredTermsOfExistingPods");
        if (reader.Boolean(fields.GetValueOrDefault("ignorePreferredTermsOfExistingPods"), ignorePath) == true)
        {
            reader.Forbidden(ignorePath, "not supported by Skiff's InterPodAffinity");
        }

        return new InterPodAffinityArgs((int)weight);
    }

    private static DefaultPreemptionArgs? DefaultPreemptionArgs(ConfigReader reader, YamlNode? args, string path)
    {
        Dictionary<string, YamlNode>? fields = Fields(reader, args, path, DefaultPreemption.PluginName, "minCandidateNodesPercentage", "minCandidateNodesAbsolute");
        if (fields is null)
        {
            return null;
        }

        string percentagePath = ConfigReader.Field(path, "minCandidateNodesPercentage");
        long percentage = reader.Integer(fields.GetValueOrDefault("minCandidateNodesPercentage"), percentagePath) ?? 10;
        string absolutePath = ConfigReader.Field(path, "minCandidateNodesAbsolute");
        long absolute = reader.Integer(fields.GetValueOrDefault("minCandidateNodesAbsolute"), absolutePath) ?? 100;
        if (percentage is < 0 or > 100)
        {
            reader.Invalid(percentagePath, percentage, "not in valid range [0, 100]");
            return null;
        }

        if (absolute < 0)
        {
            reader.Invalid(absolutePath, absolute, "not in valid range [0, inf)");
            return null;
        }

        if (percentage == 0 && absolute == 0)
        {
            reader.Invalid(path, "minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 0", "cannot both be zero");
            return null;
        }

        return new DefaultPreemptionArgs((int)percentage, (int)absolute);
    }
}
