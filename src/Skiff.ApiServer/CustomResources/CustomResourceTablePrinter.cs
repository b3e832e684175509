using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.ApiServer.Tables;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// Table rows of a custom resource from its version's additionalPrinterColumns (JSONPath into the object), as upstream's
/// CRD table convertor prints them: NAME first, then each column with its type, format, description and priority. A version
/// without columns gets AGE (type date, from metadata.creationTimestamp); a version with columns gets exactly those.
/// Each cell is the first value its path reaches: integer → <see cref="long"/>, number → <see cref="double"/>, boolean →
/// <see cref="bool"/>, date → an age ("&lt;invalid&gt;" for a string that is no time), string → the value as JSONPath
/// prints it (objects and lists as compact JSON). Missing or mistyped values are null cells (kubectl shows "&lt;none&gt;").
/// </summary>
internal sealed class CustomResourceTablePrinter : ITablePrinter
{
    private const string DefaultDescriptionPrefix = "Custom resource definition column (in JSONPath format): ";

    private readonly IReadOnlyList<V1CustomResourceColumnDefinition> _definitions;
    private readonly List<(TableColumn Column, JsonPathQuery? Path)> _columns = [];

    public CustomResourceTablePrinter(IReadOnlyList<V1CustomResourceColumnDefinition> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _definitions = columns;
        IEnumerable<V1CustomResourceColumnDefinition> served = columns.Count > 0 ? columns : [DefaultAge];
        foreach (V1CustomResourceColumnDefinition definition in served)
        {
            string jsonPath = definition.JsonPath ?? string.Empty;
            string description = string.IsNullOrEmpty(definition.Description) ? DefaultDescriptionPrefix + jsonPath : definition.Description;
            var column = new TableColumn(definition.Name ?? string.Empty, definition.Type ?? "string", definition.Format ?? string.Empty, description,
                definition.Priority ?? 0);
            _columns.Add((column, JsonPathQuery.TryParse(jsonPath, out JsonPathQuery? query) ? query : null));
        }

        Columns = [Tables.Columns.Name(), .. _columns.Select(c => c.Column)];
    }

    public IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>The columns the printer was made from.</summary>
    public IReadOnlyList<V1CustomResourceColumnDefinition> Definitions => _definitions;

    private static V1CustomResourceColumnDefinition DefaultAge => new()
    {
        Name = "Age",
        Type = "date",
        Description = Tables.Columns.CreationTimestampDescription,
        JsonPath = ".metadata.creationTimestamp",
    };

    /// <param name="item">The custom object as a <see cref="JsonObject"/>.</param>
    /// <param name="now">The time ages are measured against.</param>
    public IReadOnlyList<object?> Cells(object item, DateTimeOffset now)
    {
        if (item is not JsonObject json)
        {
            throw new ArgumentException($"Custom resources are printed from a JsonObject, not a {item?.GetType().Name}.", nameof(item));
        }

        var cells = new List<object?>(Columns.Count)
        {
            json["metadata"] is JsonObject metadata && metadata["name"] is JsonValue name && name.TryGetValue(out string? text) ? text : string.Empty,
        };
        foreach ((TableColumn column, JsonPathQuery? path) in _columns)
        {
            IReadOnlyList<JsonNode?> found = path?.Evaluate(json) ?? [];
            cells.Add(found.Count == 0 ? null : Cell(column.Type, found[0], now));
        }

        return cells;
    }

    private static object? Cell(string type, JsonNode? value, DateTimeOffset now)
    {
        if (value is null)
        {
            return null;
        }

        JsonValueKind kind = value.GetValueKind();
        switch (type)
        {
            case "string":
                return kind switch
                {
                    JsonValueKind.String => value.GetValue<string>(),
                    JsonValueKind.Object or JsonValueKind.Array => value.ToJsonString(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.Number => GoNumber(value),
                    _ => null,
                };
            case "integer" when kind == JsonValueKind.Number:
                string number = value.ToJsonString();
                return long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long whole) ? whole : (long)Double(number);
            case "number" when kind == JsonValueKind.Number:
                return Double(value.ToJsonString());
            case "boolean" when kind is JsonValueKind.True or JsonValueKind.False:
                return kind == JsonValueKind.True;
            case "date" when kind == JsonValueKind.String:
                string text = value.GetValue<string>();
                return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset time) &&
                    text.Contains('T', StringComparison.OrdinalIgnoreCase)
                    ? HumanDuration.Format(now - time)
                    : "<invalid>";
            default:
                return null;
        }
    }

    // Go's fmt.Print of a decoded JSON number: int64 when whole, else the shortest float64 text.
    private static string GoNumber(JsonNode value)
    {
        string text = value.ToJsonString();
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long whole)
            ? whole.ToString(CultureInfo.InvariantCulture)
            : Double(text).ToString("R", CultureInfo.InvariantCulture);
    }

    private static double Double(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}
