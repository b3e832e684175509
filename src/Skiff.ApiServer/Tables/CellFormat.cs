using System.Globalization;
using k8s.Models;

namespace Skiff.ApiServer.Tables;

/// <summary>The small formatting rules upstream's printers share: ages, label maps, selectors, container lists.</summary>
internal static class CellFormat
{
    public const string None = "<none>";
    public const string Unknown = "<unknown>";
    public const string Unset = "<unset>";

    /// <summary>The age of a timestamp, or "&lt;unknown&gt;" when it is not set (upstream's translateTimestampSince).</summary>
    public static string Since(DateTime? timestamp, DateTimeOffset now) =>
        timestamp is { } t ? HumanDuration.Format(now - ToUtc(t)) : Unknown;

    /// <summary>The time from <paramref name="now"/> until a timestamp, or "&lt;unknown&gt;".</summary>
    public static string Until(DateTime? timestamp, DateTimeOffset now) =>
        timestamp is { } t ? HumanDuration.Format(ToUtc(t) - now) : Unknown;

    public static DateTimeOffset ToUtc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Local => new DateTimeOffset(time.ToUniversalTime()),
        _ => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
    };

    /// <summary>"k1=v1,k2=v2" sorted by key, or "&lt;none&gt;" (labels.FormatLabels).</summary>
    public static string Labels(IDictionary<string, string>? labels)
    {
        if (labels is null || labels.Count == 0)
        {
            return None;
        }

        return string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
    }

    /// <summary>A label selector as a selector string, or "&lt;none&gt;" when it selects nothing or everything (metav1.FormatLabelSelector).</summary>
    public static string LabelSelector(V1LabelSelector? selector)
    {
        string text = SelectorString(selector);
        return text.Length == 0 ? None : text;
    }

    /// <summary>The selector string (LabelSelectorAsSelector(...).String()): requirements sorted by key, empty for nil or empty.</summary>
    public static string SelectorString(V1LabelSelector? selector)
    {
        if (selector is null)
        {
            return string.Empty;
        }

        var requirements = new List<(string Key, string Text)>();
        foreach (KeyValuePair<string, string> label in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            requirements.Add((label.Key, $"{label.Key}={label.Value}"));
        }

        foreach (V1LabelSelectorRequirement expression in selector.MatchExpressions ?? [])
        {
            string key = expression.Key ?? string.Empty;
            string values = string.Join(",", (expression.Values ?? []).OrderBy(v => v, StringComparer.Ordinal));
            string text = expression.OperatorProperty switch
            {
                "In" => $"{key} in ({values})",
                "NotIn" => $"{key} notin ({values})",
                "Exists" => key,
                "DoesNotExist" => "!" + key,
                _ => $"{key} {expression.OperatorProperty} ({values})",
            };
            requirements.Add((key, text));
        }

        return string.Join(",", requirements.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Text));
    }

    /// <summary>Container names and images, each comma-joined (layoutContainerCells).</summary>
    public static (string Names, string Images) Containers(V1PodTemplateSpec? template) => Containers(template?.Spec?.Containers);

    public static (string Names, string Images) Containers(IList<V1Container>? containers)
    {
        IList<V1Container> list = containers ?? [];
        return (string.Join(",", list.Select(c => c?.Name ?? string.Empty)), string.Join(",", list.Select(c => c?.Image ?? string.Empty)));
    }

    /// <summary>"a,b,c + 2 more..." for the first <paramref name="max"/> of <paramref name="count"/> items, "&lt;unset&gt;" when empty.</summary>
    public static string ListWithMore(IReadOnlyList<string> firstItems, int count, int max)
    {
        string joined = string.Join(",", firstItems);
        if (count > max)
        {
            return $"{joined} + {count - max} more...";
        }

        return joined.Length == 0 ? Unset : joined;
    }

    /// <summary>The name of the object, for the first column.</summary>
    public static string Name(V1ObjectMeta? metadata) => metadata?.Name ?? string.Empty;

    /// <summary>The age column.</summary>
    public static string Age(V1ObjectMeta? metadata, DateTimeOffset now) => Since(metadata?.CreationTimestamp, now);

    /// <summary>Go's "%d" for counts that are int32 in the API and int64 in cells.</summary>
    public static long Count<T>(ICollection<T>? items) => items?.Count ?? 0;

    public static string Bool(bool value) => value ? "True" : "False";

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
