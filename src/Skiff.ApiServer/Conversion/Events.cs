using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Conversion;

/// <summary>
/// events.k8s.io/v1 Events are core/v1 Events under other field names (upstream stores them once, as core/v1):
/// regarding is involvedObject, note is message, the deprecated* fields are the old core fields.
/// </summary>
internal static class Events
{
    // (events.k8s.io/v1 name, core/v1 name)
    private static readonly (string Events, string Core)[] s_renames =
    [
        ("regarding", "involvedObject"),
        ("note", "message"),
        ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
    ];

    public static void ToCore(JsonObject item) => Rename(item, toCore: true);

    public static void FromCore(JsonObject item) => Rename(item, toCore: false);

    /// <summary>An events.k8s.io field selector path as the stored (core) field.</summary>
    public static string CoreField(string field)
    {
        foreach ((string events, string core) in s_renames)
        {
            if (field == events || field.StartsWith(events + ".", StringComparison.Ordinal))
            {
                return core + field[events.Length..];
            }
        }

        return field;
    }

    private static void Rename(JsonObject item, bool toCore)
    {
        foreach ((string events, string core) in s_renames)
        {
            (string from, string to) = toCore ? (events, core) : (core, events);
            if (item[from] is JsonNode value)
            {
                item.Remove(from);
                item[to] = value;
            }
        }
    }
}
