using System.Text.Json.Nodes;
using Skiff.ApiServer.Endpoints;
using YamlDotNet.Core;

namespace Skiff.ApiServer.Audit;

/// <summary>
/// A parsed and checked <c>audit.k8s.io/v1</c> Policy (<c>--audit-policy-file</c>): rules tried in order, the first match
/// giving the level (no match: None), plus policy-wide omitStages and omitManagedFields.
/// </summary>
public sealed class AuditPolicy
{
    private static readonly string[] s_levels = [.. Enum.GetNames<AuditLevel>()];
    private static readonly string[] s_stages = [.. Enum.GetNames<AuditStage>()];

    private readonly IReadOnlyList<AuditRule> _rules;
    private readonly IReadOnlyList<AuditStage> _omitStages;
    private readonly bool _omitManagedFields;

    private AuditPolicy(IReadOnlyList<AuditRule> rules, IReadOnlyList<AuditStage> omitStages, bool omitManagedFields)
    {
        _rules = rules;
        _omitStages = omitStages;
        _omitManagedFields = omitManagedFields;
    }

    /// <summary>Reads and checks a policy file.</summary>
    /// <exception cref="AuditPolicyException">The file is missing or a field is wrong.</exception>
    public static AuditPolicy Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AuditPolicyException($"cannot read {path}: {e.Message}", e);
        }
    }

    /// <summary>Parses and checks the YAML (or JSON) text of a policy.</summary>
    /// <exception cref="AuditPolicyException">A field is wrong.</exception>
    public static AuditPolicy Parse(string yaml)
    {
        JsonObject root;
        try
        {
            root = YamlToJson.Convert(yaml) as JsonObject ?? throw new AuditPolicyException("the file is not a YAML object");
        }
        catch (YamlException e)
        {
            throw new AuditPolicyException($"the file is not valid YAML: {e.Message}", e);
        }

        string? apiVersion = Text(root["apiVersion"]);
        string? kind = Text(root["kind"]);
        if (apiVersion != "audit.k8s.io/v1" || kind != "Policy")
        {
            throw new AuditPolicyException($"apiVersion/kind: Invalid value: \"{apiVersion}/{kind}\": expected audit.k8s.io/v1 Policy");
        }

        var rules = new List<AuditRule>();
        JsonArray ruleNodes = root["rules"] as JsonArray ?? [];
        for (int i = 0; i < ruleNodes.Count; i++)
        {
            rules.Add(ParseRule(ruleNodes[i] as JsonObject ?? throw new AuditPolicyException($"rules[{i}]: Invalid value: a rule is an object"), $"rules[{i}]"));
        }

        return new AuditPolicy(rules, Stages(root["omitStages"], "omitStages"), root["omitManagedFields"] is JsonValue v && v.TryGetValue(out bool omit) && omit);
    }

    /// <summary>The level and stages for a request: the first rule that matches, else None.</summary>
    internal AuditDecision Evaluate(AuditRequestAttributes request)
    {
        foreach (AuditRule rule in _rules)
        {
            if (rule.Matches(request))
            {
                return new AuditDecision(rule.Level, new HashSet<AuditStage>(_omitStages.Concat(rule.OmitStages)), rule.OmitManagedFields ?? _omitManagedFields);
            }
        }

        return AuditDecision.None;
    }

    private static AuditRule ParseRule(JsonObject rule, string path)
    {
        string? levelText = Text(rule["level"]);
        if (string.IsNullOrEmpty(levelText))
        {
            throw new AuditPolicyException($"{path}.level: Required value");
        }

        if (!s_levels.Contains(levelText, StringComparer.Ordinal))
        {
            throw new AuditPolicyException($"{path}.level: Unsupported value: \"{levelText}\": supported values: \"None\", \"Metadata\", \"Request\", \"RequestResponse\"");
        }

        var resources = new List<AuditGroupResources>();
        JsonArray resourceNodes = rule["resources"] as JsonArray ?? [];
        for (int i = 0; i < resourceNodes.Count; i++)
        {
            string resourcePath = $"{path}.resources[{i}]";
            JsonNode? entry = resourceNodes[i];
            List<string> names = Strings(entry?["resources"], $"{resourcePath}.resources");
            List<string> resourceNames = Strings(entry?["resourceNames"], $"{resourcePath}.resourceNames");
            if (resourceNames.Count > 0 && names.Any(n => n == "*" || n.StartsWith("*/", StringComparison.Ordinal)))
            {
                throw new AuditPolicyException($"{resourcePath}.resourceNames: Invalid value: using resourceNames with wildcard resources is not allowed");
            }

            resources.Add(new AuditGroupResources(Text(entry?["group"]) ?? string.Empty, names, resourceNames));
        }

        List<string> namespaces = Strings(rule["namespaces"], $"{path}.namespaces");
        List<string> urls = Strings(rule["nonResourceURLs"], $"{path}.nonResourceURLs");
        if (urls.Count > 0 && (resources.Count > 0 || namespaces.Count > 0))
        {
            throw new AuditPolicyException($"{path}.nonResourceURLs: Invalid value: rules cannot apply to both regular resources and non-resource URLs");
        }

        for (int i = 0; i < urls.Count; i++)
        {
            if (!urls[i].StartsWith('/') || urls[i].IndexOf('*', StringComparison.Ordinal) is int star && star >= 0 && star != urls[i].Length - 1)
            {
                throw new AuditPolicyException($"{path}.nonResourceURLs[{i}]: Invalid value: \"{urls[i]}\": non-resource URLs must start with '/' and may only end with '*'");
            }
        }

        return new AuditRule(
            Enum.Parse<AuditLevel>(levelText),
            Strings(rule["users"], $"{path}.users"),
            Strings(rule["userGroups"], $"{path}.userGroups"),
            Strings(rule["verbs"], $"{path}.verbs"),
            resources,
            namespaces,
            urls,
            Stages(rule["omitStages"], $"{path}.omitStages"),
            rule["omitManagedFields"] is JsonValue v && v.TryGetValue(out bool omit) ? omit : null);
    }

    private static List<AuditStage> Stages(JsonNode? node, string path)
    {
        List<string> names = Strings(node, path);
        var stages = new List<AuditStage>();
        for (int i = 0; i < names.Count; i++)
        {
            if (!s_stages.Contains(names[i], StringComparer.Ordinal))
            {
                throw new AuditPolicyException(
                    $"{path}[{i}]: Unsupported value: \"{names[i]}\": supported values: \"RequestReceived\", \"ResponseStarted\", \"ResponseComplete\", \"Panic\"");
            }

            stages.Add(Enum.Parse<AuditStage>(names[i]));
        }

        return stages;
    }

    private static List<string> Strings(JsonNode? node, string path)
    {
        if (node is null)
        {
            return [];
        }

        if (node is not JsonArray array)
        {
            throw new AuditPolicyException($"{path}: Invalid value: expected a list of strings");
        }

        var result = new List<string>();
        for (int i = 0; i < array.Count; i++)
        {
            result.Add(Text(array[i]) ?? throw new AuditPolicyException($"{path}[{i}]: Invalid value: expected a string"));
        }

        return result;
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : null;
}
