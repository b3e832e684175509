using k8s.Models;
using Skiff.ControlPlane.Scheduling.Plugins;
using YamlDotNet.RepresentationModel;

namespace Skiff.ControlPlane.Scheduling.Configuration;

internal static partial class PluginArgsParser
{
    private static readonly string[] s_operators = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"];

    private static NodeAffinityArgs? NodeAffinityArgs(ConfigReader reader, YamlNode? args, string path)
    {
        Dictionary<string, YamlNode>? fields = Fields(reader, args, path, NodeAffinity.PluginName, "addedAffinity");
        if (fields is null)
        {
            return null;
        }

        string affinityPath = ConfigReader.Field(path, "addedAffinity");
        const string Required = "requiredDuringSchedulingIgnoredDuringExecution";
        const string Preferred = "preferredDuringSchedulingIgnoredDuringExecution";
        Dictionary<string, YamlNode>? affinity = reader.Object(fields.GetValueOrDefault("addedAffinity"), affinityPath, Required, Preferred);
        if (affinity is null)
        {
            return new NodeAffinityArgs(null);
        }

        V1NodeSelector? required = null;
        string requiredPath = ConfigReader.Field(affinityPath, Required);
        if (reader.Object(affinity.GetValueOrDefault(Required), requiredPath, "nodeSelectorTerms") is { } selector)
        {
            string termsPath = ConfigReader.Field(requiredPath, "nodeSelectorTerms");
            IReadOnlyList<YamlNode> terms = reader.List(selector.GetValueOrDefault("nodeSelectorTerms"), termsPath);
            if (terms.Count == 0)
            {
                reader.Required(termsPath, "must have at least one node selector term");
            }

            required = new V1NodeSelector { NodeSelectorTerms = [.. terms.Select((t, i) => Term(reader, t, ConfigReader.Index(termsPath, i)))] };
        }

        var preferred = new List<V1PreferredSchedulingTerm>();
        string preferredPath = ConfigReader.Field(affinityPath, Preferred);
        IReadOnlyList<YamlNode> items = reader.List(affinity.GetValueOrDefault(Preferred), preferredPath);
        for (int i = 0; i < items.Count; i++)
        {
            string itemPath = ConfigReader.Index(preferredPath, i);
            Dictionary<string, YamlNode> item = reader.Object(items[i], itemPath, "weight", "preference") ?? [];
            long weight = reader.Integer(item.GetValueOrDefault("weight"), ConfigReader.Field(itemPath, "weight")) ?? 0;
            if (weight is < 1 or > 100)
            {
                reader.Invalid(ConfigReader.Field(itemPath, "weight"), weight, "must be in the range 1-100");
            }

            preferred.Add(new V1PreferredSchedulingTerm
            {
                Weight = (int)Math.Clamp(weight, 0, 100),
                Preference = Term(reader, item.GetValueOrDefault("preference"), ConfigReader.Field(itemPath, "preference")),
            });
        }

        return new NodeAffinityArgs(new V1NodeAffinity
        {
            RequiredDuringSchedulingIgnoredDuringExecution = required,
            PreferredDuringSchedulingIgnoredDuringExecution = preferred.Count == 0 ? null : preferred,
        });
    }

    private static V1NodeSelectorTerm Term(ConfigReader reader, YamlNode? node, string path)
    {
        Dictionary<string, YamlNode> fields = reader.Object(node, path, "matchExpressions", "matchFields") ?? [];
        return new V1NodeSelectorTerm
        {
            MatchExpressions = Requirements(reader, fields.GetValueOrDefault("matchExpressions"), ConfigReader.Field(path, "matchExpressions"), fieldsOnly: false),
            MatchFields = Requirements(reader, fields.GetValueOrDefault("matchFields"), ConfigReader.Field(path, "matchFields"), fieldsOnly: true),
        };
    }

    private static List<V1NodeSelectorRequirement> Requirements(ConfigReader reader, YamlNode? node, string path, bool fieldsOnly)
    {
        var requirements = new List<V1NodeSelectorRequirement>();
        IReadOnlyList<YamlNode> items = reader.List(node, path);
        for (int i = 0; i < items.Count; i++)
        {
            string itemPath = ConfigReader.Index(path, i);
            Dictionary<string, YamlNode> item = reader.Object(items[i], itemPath, "key", "operator", "values") ?? [];
            string key = reader.String(item.GetValueOrDefault("key"), ConfigReader.Field(itemPath, "key")) ?? string.Empty;
            string op = reader.String(item.GetValueOrDefault("operator"), ConfigReader.Field(itemPath, "operator")) ?? string.Empty;
            List<string> values = reader.Strings(item.GetValueOrDefault("values"), ConfigReader.Field(itemPath, "values"));
            if (key.Length == 0)
            {
                reader.Required(ConfigReader.Field(itemPath, "key"));
            }
            else if (fieldsOnly && key != "metadata.name")
            {
                reader.Invalid(ConfigReader.Field(itemPath, "key"), ConfigReader.Quote(key), "not a valid field selector key");
            }

            if (!s_operators.Contains(op, StringComparer.Ordinal) || (fieldsOnly && op is not ("In" or "NotIn")))
            {
                reader.Unsupported(ConfigReader.Field(itemPath, "operator"), op, fieldsOnly ? ["In", "NotIn"] : s_operators);
            }
            else if (op is "Exists" or "DoesNotExist" && values.Count > 0)
            {
                reader.Forbidden(ConfigReader.Field(itemPath, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
            }
            else if (op is "In" or "NotIn" && values.Count == 0)
            {
                reader.Required(ConfigReader.Field(itemPath, "values"), "must be specified when `operator` is 'In' or 'NotIn'");
            }
            else if (op is "Gt" or "Lt" && (values.Count != 1 || !long.TryParse(values[0], out _)))
            {
                reader.Required(ConfigReader.Field(itemPath, "values"), "must be specified single value when `operator` is 'Lt' or 'Gt'");
            }

            requirements.Add(new V1NodeSelectorRequirement { Key = key, OperatorProperty = op, Values = values });
        }

        return requirements;
    }
}
