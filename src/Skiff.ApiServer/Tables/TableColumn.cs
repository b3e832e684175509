namespace Skiff.ApiServer.Tables;

/// <summary>One column of a Table response (meta.k8s.io/v1 TableColumnDefinition).</summary>
/// <param name="Name">The header; kubectl upper-cases it.</param>
/// <param name="Type">An OpenAPI type: "string", "integer", "number", "boolean" or "date".</param>
/// <param name="Format">"name" for the column that holds the object name, otherwise empty.</param>
/// <param name="Description">Human-readable help for the column.</param>
/// <param name="Priority">0 is always shown; above 0 only with <c>-o wide</c>.</param>
public sealed record TableColumn(string Name, string Type, string Format, string Description, int Priority);
