namespace Skiff.ApiServer.Tables;

/// <summary>A printer for one model type: fixed columns and a function that computes the cells.</summary>
internal sealed class TablePrinter<T> : ITablePrinter
    where T : class
{
    private readonly Func<T, DateTimeOffset, object?[]> _cells;

    public TablePrinter(IReadOnlyList<TableColumn> columns, Func<T, DateTimeOffset, object?[]> cells)
    {
        Columns = columns;
        _cells = cells;
    }

    public IReadOnlyList<TableColumn> Columns { get; }

    public IReadOnlyList<object?> Cells(object item, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item is not T typed)
        {
            throw new ArgumentException($"The printer for {typeof(T).Name} cannot print a {item.GetType().Name}.", nameof(item));
        }

        object?[] cells = _cells(typed, now);

        // A printer that returns the wrong number of cells would shift every column in kubectl's output; fail loudly instead.
        if (cells.Length != Columns.Count)
        {
            throw new InvalidOperationException($"The printer for {typeof(T).Name} returned {cells.Length} cells for {Columns.Count} columns.");
        }

        return cells;
    }
}
