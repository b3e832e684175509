using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Tables;

/// <summary>Builds the body of a meta.k8s.io/v1 Table response from a printer and the rows to print.</summary>
public static class TableWriter
{
    /// <summary>Writes a Table.</summary>
    /// <param name="printer">The printer for the kind (see <see cref="TablePrinters.For(string, string)"/>).</param>
    /// <param name="rows">The objects, each with the JSON to put in its row's "object" field.</param>
    /// <param name="resourceVersion">The list's resourceVersion; <c>get -w</c> starts its watch from it.</param>
    /// <param name="continueToken">The continue token of a paged list, or null.</param>
    /// <param name="now">The time ages are measured against.</param>
    /// <param name="includeColumnDefinitions">
    /// False for watch events after the first: upstream sends the columns once per watch, and kubectl keeps them.
    /// </param>
    public static JsonObject Write(
        ITablePrinter printer,
        IEnumerable<TableRowInput> rows,
        string? resourceVersion,
        string? continueToken,
        DateTimeOffset now,
        bool includeColumnDefinitions = true)
    {
        ArgumentNullException.ThrowIfNull(printer);
        ArgumentNullException.ThrowIfNull(rows);

        var metadata = new JsonObject();
        if (!string.IsNullOrEmpty(resourceVersion))
        {
            metadata["resourceVersion"] = resourceVersion;
        }

        if (!string.IsNullOrEmpty(continueToken))
        {
            metadata["continue"] = continueToken;
        }

        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = metadata,
        };

        if (includeColumnDefinitions)
        {
            table["columnDefinitions"] = ColumnDefinitions(printer.Columns);
        }

        var rowArray = new JsonArray();
        foreach (TableRowInput row in rows)
        {
            ArgumentNullException.ThrowIfNull(row);
            var rowObject = new JsonObject { ["cells"] = Cells(printer.Cells(row.Item, now)) };
            if (row.RowObject is not null)
            {
                // A node can have only one parent; copy it when the caller's node already sits in another tree.
                rowObject["object"] = row.RowObject.Parent is null ? row.RowObject : row.RowObject.DeepClone();
            }

            rowArray.Add(rowObject);
        }

        table["rows"] = rowArray;
        return table;
    }

    /// <summary>The "columnDefinitions" array for a set of columns.</summary>
    public static JsonArray ColumnDefinitions(IReadOnlyList<TableColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var array = new JsonArray();
        foreach (TableColumn column in columns)
        {
            array.Add(new JsonObject
            {
                ["name"] = column.Name,
                ["type"] = column.Type,
                ["format"] = column.Format,
                ["description"] = column.Description,
                ["priority"] = column.Priority,
            });
        }

        return array;
    }

    private static JsonArray Cells(IReadOnlyList<object?> cells)
    {
        var array = new JsonArray();
        foreach (object? cell in cells)
        {
            array.Add(cell switch
            {
                null => null,
                string s => JsonValue.Create(s),
                long l => JsonValue.Create(l),
                int i => JsonValue.Create((long)i),
                bool b => JsonValue.Create(b),
                _ => JsonValue.Create(cell.ToString()),
            });
        }

        return array;
    }
}
