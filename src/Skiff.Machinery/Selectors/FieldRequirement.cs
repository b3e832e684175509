namespace Skiff.Machinery.Selectors;

/// <summary>One term of a field selector.</summary>
/// <param name="Field">The field path, e.g. <c>metadata.name</c> or <c>spec.nodeName</c>.</param>
/// <param name="Value">The value compared with.</param>
/// <param name="Equal">True for = and ==, false for !=.</param>
public sealed record FieldRequirement(string Field, string Value, bool Equal);
