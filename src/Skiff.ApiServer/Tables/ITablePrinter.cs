namespace Skiff.ApiServer.Tables;

/// <summary>Turns one object of a kind into the cells of a Table row, as upstream's server-side printers do.</summary>
public interface ITablePrinter
{
    /// <summary>Every column, wide ones (priority above 0) included: the server always prints wide, kubectl hides them.</summary>
    IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>One cell per column, in column order: strings, <see cref="long"/> for integers, <see cref="bool"/> for booleans.</summary>
    /// <param name="item">The object, as its k8s.Models type (or a JSON object for the default printer).</param>
    /// <param name="now">The time ages are measured against.</param>
    IReadOnlyList<object?> Cells(object item, DateTimeOffset now);
}
