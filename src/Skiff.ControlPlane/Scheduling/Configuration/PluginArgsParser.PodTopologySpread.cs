using k8s.Models;
using Skiff.ControlPlane.Scheduling.Plugins;
using YamlDotNet.RepresentationModel;

namespace Skiff.ControlPlane.Scheduling.Configuration;

internal static partial class PluginArgsParser
{
    private static readonly string[] s_defaultingTypes = [.. Enum.GetNames<PodTopologySpreadDefaultingType>()];
    private static readonly string[] s_whenUnsatisfiable = ["DoNotSchedule", "ScheduleAnyway"];
    private static readonly string[] s_inclusionPolicies = ["Honor", "Ignore"];

    private static PodTopologySpreadArgs? PodTopologySpreadArgs(ConfigReader reader, YamlNode? args, string path)
    {
        Dictionary<string, YamlNode>? fields = Fields(reader, args, path, PodTopologySpreadPlugin.PluginName, "defaultConstraints", "defaultingType");
        if (fields is null)
        {
            return null;
        }

        string typePath = ConfigReader.Field(path, "defaultingType");
        string type = reader.String(fields.GetValueOrDefault("defaultingType"), typePath) ?? nameof(PodTopologySpreadDefaultingType.System);
        if (!s_defaultingTypes.Contains(type, StringComparer.Ordinal))
        {
            reader.Unsupported(typePath, type, s_defaultingTypes);
            return null;
        }

        var defaultingType = Enum.Parse<PodTopologySpreadDefaultingType>(type);
        string constraintsPath = ConfigReader.Field(path, "defaultConstraints");
        List<V1TopologySpreadConstraint> constraints = DefaultConstraints(reader, fields.GetValueOrDefault("defaultConstraints"), constraintsPath);
        if (defaultingType == PodTopologySpreadDefaultingType.System && constraints.Count > 0)
        {
            reader.Invalid(constraintsPath, "[...]", "when .defaultingType is \"System\"");
        }

        return new PodTopologySpreadArgs { DefaultingType = defaultingType, DefaultConstraints = constraints };
    }

    private static List<V1TopologySpreadConstraint> DefaultConstraints(ConfigReader reader, YamlNode? node, string path)
    {
        var constraints = new List<V1TopologySpreadConstraint>();
        IReadOnlyList<YamlNode> items = reader.List(node, path);
        for (int i = 0; i < items.Count; i++)
        {
            string itemPath = ConfigReader.Index(path, i);
            Dictionary<string, YamlNode> item = reader.Object(
                items[i], itemPath, "maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector", "minDomains", "nodeAffinityPolicy", "nodeTaintsPolicy", "matchLabelKeys") ?? [];
            int before = reader.Errors.Count;
            long maxSkew = reader.Integer(item.GetValueOrDefault("maxSkew"), ConfigReader.Field(itemPath, "maxSkew")) ?? 0;
            if (maxSkew is <= 0 or > int.MaxValue)
            {
                reader.Invalid(ConfigReader.Field(itemPath, "maxSkew"), maxSkew, "must be greater than zero");
            }

            string topologyKey = reader.String(item.GetValueOrDefault("topologyKey"), ConfigReader.Field(itemPath, "topologyKey")) ?? string.Empty;
            if (topologyKey.Length == 0)
            {
                reader.Required(ConfigReader.Field(itemPath, "topologyKey"), "can not be empty");
            }

            string when = reader.String(item.GetValueOrDefault("whenUnsatisfiable"), ConfigReader.Field(itemPath, "whenUnsatisfiable")) ?? string.Empty;
            if (!s_whenUnsatisfiable.Contains(when, StringComparer.Ordinal))
            {
                reader.Unsupported(ConfigReader.Field(itemPath, "whenUnsatisfiable"), when, s_whenUnsatisfiable);
            }

            if (!ConfigReader.IsNull(item.GetValueOrDefault("labelSelector")))
            {
                reader.Forbidden(ConfigReader.Field(itemPath, "labelSelector"), "constraint must not define a selector, as they deduced for each pod");
            }

            long? minDomains = reader.Integer(item.GetValueOrDefault("minDomains"), ConfigReader.Field(itemPath, "minDomains"));
            if (minDomains is <= 0 or > int.MaxValue)
            {
                reader.Invalid(ConfigReader.Field(itemPath, "minDomains"), minDomains.Value, "must be greater than zero");
            }

            string? affinityPolicy = Policy(reader, item.GetValueOrDefault("nodeAffinityPolicy"), ConfigReader.Field(itemPath, "nodeAffinityPolicy"));
            string? taintsPolicy = Policy(reader, item.GetValueOrDefault("nodeTaintsPolicy"), ConfigReader.Field(itemPath, "nodeTaintsPolicy"));
            List<string> matchLabelKeys = reader.Strings(item.GetValueOrDefault("matchLabelKeys"), ConfigReader.Field(itemPath, "matchLabelKeys"));
            if (constraints.Any(c => c.TopologyKey == topologyKey && c.WhenUnsatisfiable == when))
            {
                reader.Duplicate(itemPath, $"{{{topologyKey}, {when}}}");
            }
            else if (reader.Errors.Count == before)
            {
                constraints.Add(new V1TopologySpreadConstraint
                {
                    MaxSkew = (int)maxSkew,
                    TopologyKey = topologyKey,
                    WhenUnsatisfiable = when,
                    MinDomains = (int?)minDomains,
                    NodeAffinityPolicy = affinityPolicy,
                    NodeTaintsPolicy = taintsPolicy,
                    MatchLabelKeys = matchLabelKeys.Count == 0 ? null : matchLabelKeys,
                });
            }
        }

        return constraints;
    }

    private static string? Policy(ConfigReader reader, YamlNode? node, string path)
    {
        string? policy = reader.String(node, path);
        if (policy is not null && !s_inclusionPolicies.Contains(policy, StringComparer.Ordinal))
        {
            reader.Unsupported(path, policy, s_inclusionPolicies);
        }

        return policy;
    }
}
