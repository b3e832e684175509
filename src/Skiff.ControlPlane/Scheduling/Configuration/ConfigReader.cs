using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>
/// Reads YAML (or JSON) nodes field by field, strictly as upstream decodes the configuration, and collects upstream-style
/// field errors (<c>path: Invalid value: 120: not in valid range [0-100]</c>) instead of stopping at the first.
/// </summary>
internal sealed class ConfigReader
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> Errors => _errors;

    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    public static string Field(string path, string field) => path.Length == 0 ? field : $"{path}.{field}";

    public static string Index(string path, int index) => $"{path}[{index.ToString(CultureInfo.InvariantCulture)}]";

    public void Invalid(string path, string value, string detail) => _errors.Add($"{path}: Invalid value: {value}: {detail}");

    public void Invalid(string path, long value, string detail) => Invalid(path, value.ToString(CultureInfo.InvariantCulture), detail);

    public void Duplicate(string path, string value) => _errors.Add($"{path}: Duplicate value: {Quote(value)}");

    public void Required(string path, string? detail = null) => _errors.Add(detail is null ? $"{path}: Required value" : $"{path}: Required value: {detail}");

    public void Forbidden(string path, string detail) => _errors.Add($"{path}: Forbidden: {detail}");

    public void Unsupported(string path, string value, IEnumerable<string> supported) =>
        _errors.Add($"{path}: Unsupported value: {Quote(value)}: supported values: {string.Join(", ", supported.Select(Quote))}");

    public static bool IsNull(YamlNode? node) =>
        node is null || (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s && s.Value is null or "" or "~" or "null" or "Null" or "NULL");

    /// <summary>The fields of an object, reporting fields not in <paramref name="known"/>; null when absent or not an object.</summary>
    public Dictionary<string, YamlNode>? Object(YamlNode? node, string path, params string[] known)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlMappingNode map)
        {
            TypeError(path, node!, "an object");
            return null;
        }

        var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach ((YamlNode key, YamlNode value) in map.Children)
        {
            string name = key is YamlScalarNode k ? k.Value ?? string.Empty : key.ToString();
            if (!known.Contains(name, StringComparer.Ordinal))
            {
                // Upstream decodes strictly: a misspelt field is an error, not a silently ignored setting.
                _errors.Add($"unknown field {Quote(Field(path, name))}");
            }
            else if (!fields.TryAdd(name, value))
            {
                _errors.Add($"duplicate field {Quote(Field(path, name))}");
            }
        }

        return fields;
    }

    public IReadOnlyList<YamlNode> List(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return [];
        }

        if (node is not YamlSequenceNode sequence)
        {
            TypeError(path, node!, "a list");
            return [];
        }

        return [.. sequence.Children];
    }

    public string? String(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is not YamlScalarNode scalar)
        {
            TypeError(path, node!, "a string");
            return null;
        }

        return scalar.Value ?? string.Empty;
    }

    public long? Integer(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } scalar
            && long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            return value;
        }

        TypeError(path, node!, "an integer");
        return null;
    }

    public bool? Boolean(YamlNode? node, string path)
    {
        if (IsNull(node))
        {
            return null;
        }

        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } scalar)
        {
            switch (scalar.Value)
            {
                case "true" or "True" or "TRUE":
                    return true;
                case "false" or "False" or "FALSE":
                    return false;
            }
        }

        TypeError(path, node!, "a boolean");
        return null;
    }

    /// <summary>A string list (names of resources, groups, label keys).</summary>
    public List<string> Strings(YamlNode? node, string path)
    {
        var values = new List<string>();
        IReadOnlyList<YamlNode> items = List(node, path);
        for (int i = 0; i < items.Count; i++)
        {
            if (String(items[i], Index(path, i)) is { } value)
            {
                values.Add(value);
            }
        }

        return values;
    }

    private void TypeError(string path, YamlNode node, string expected)
    {
        string shown = node switch
        {
            YamlScalarNode s => s.Style is ScalarStyle.Plain or ScalarStyle.Any ? s.Value ?? string.Empty : Quote(s.Value ?? string.Empty),
            YamlSequenceNode => "[...]",
            _ => "{...}",
        };
        Invalid(path, shown, $"must be {expected}");
    }
}
