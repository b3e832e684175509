using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Skiff.ApiServer.Tables;

/// <summary>
/// The printer for kinds without their own (Role, CRD, custom resources...): Name and "Created At", like upstream's DefaultTableConvertor.
/// The date cell is the RFC 3339 time itself; kubectl prints it verbatim.
/// </summary>
internal sealed class DefaultTablePrinter : ITablePrinter
{
    private const string GoZeroTime = "0001-01-01T00:00:00Z";

    public static DefaultTablePrinter Instance { get; } = new();

    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        Tables.Columns.Name(),
        new("Created At", "date", string.Empty, Tables.Columns.CreationTimestampDescription, 0),
    ];

    public IReadOnlyList<object?> Cells(object item, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item switch
        {
            IMetadata<V1ObjectMeta> typed => [typed.Metadata?.Name ?? string.Empty, Rfc3339(typed.Metadata?.CreationTimestamp)],
            JsonObject json => [NameOf(json), CreatedAtOf(json)],
            _ => throw new ArgumentException($"The default printer cannot print a {item.GetType().Name}.", nameof(item)),
        };
    }

    private static string Rfc3339(DateTime? time) =>
        time is { } t ? CellFormat.ToUtc(t).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : GoZeroTime;

    private static string NameOf(JsonObject json) =>
        json["metadata"] is JsonObject metadata && metadata["name"] is JsonValue name && name.TryGetValue(out string? text) ? text : string.Empty;

    private static string CreatedAtOf(JsonObject json)
    {
        if (json["metadata"] is JsonObject metadata && metadata["creationTimestamp"] is JsonValue value && value.TryGetValue(out string? text) &&
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset parsed))
        {
            return Rfc3339(parsed.UtcDateTime);
        }

        return GoZeroTime;
    }
}
