using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Tables;

/// <summary>One row to write: the object the printer reads, and what goes in the row's "object" field.</summary>
/// <param name="Item">The object as its k8s.Models type; the printer computes the cells from it.</param>
/// <param name="RowObject">A PartialObjectMetadata (the default) or the full object (includeObject=Object); null to leave it out.</param>
public sealed record TableRowInput(object Item, JsonNode? RowObject);
