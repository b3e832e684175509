using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.ApiServer.Tables;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// Table rows of a custom resource from its version's additionalPrinterColumns (JSONPath into the object), after NAME and
/// before AGE unless a column is itself the creation timestamp, as upstream's CRD table convertor prints them.
/// SEAM (issue 8): the crd-schema helper implements it; the crd-serve helper's table path uses it for custom resources.
/// </summary>
internal sealed class CustomResourceTablePrinter(IReadOnlyList<V1CustomResourceColumnDefinition> columns) : ITablePrinter
{
    public IReadOnlyList<TableColumn> Columns { get; } = [];

    /// <param name="item">The custom object as a <see cref="JsonObject"/>.</param>
    /// <param name="now">The time ages are measured against.</param>
    public IReadOnlyList<object?> Cells(object item, DateTimeOffset now) => [];

    /// <summary>The columns the printer was made from.</summary>
    public IReadOnlyList<V1CustomResourceColumnDefinition> Definitions => columns;
}
