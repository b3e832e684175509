using k8s.Models;

namespace Skiff.ApiServer.Registry;

/// <summary>Collects field errors in upstream's cause shapes (FieldValueRequired, FieldValueInvalid, ...).</summary>
internal sealed class ValidationErrors
{
    private readonly List<V1StatusCause> _causes = [];

    public IReadOnlyList<V1StatusCause> Causes => _causes;

    public bool Any => _causes.Count > 0;

    public void Required(string field, string detail = "") =>
        Add("FieldValueRequired", field, "Required value" + Suffix(detail));

    public void Invalid(string field, object? value, string detail) =>
        Add("FieldValueInvalid", field, $"Invalid value: {Show(value)}: {detail}");

    public void Forbidden(string field, string detail) => Add("FieldValueForbidden", field, "Forbidden: " + detail);

    public void Duplicate(string field, object? value) => Add("FieldValueDuplicate", field, $"Duplicate value: {Show(value)}");

    public void NotSupported(string field, object? value, IEnumerable<string> supported) =>
        Add("FieldValueNotSupported", field, $"Unsupported value: {Show(value)}: supported values: {string.Join(", ", supported.Select(s => $"\"{s}\""))}");

    /// <summary>field.TypeInvalid: a value of the wrong JSON type (custom resource schemas).</summary>
    public void TypeInvalid(string field, object? value, string detail) =>
        Add("FieldValueTypeInvalid", field, $"Invalid value: {Show(value)}: {detail}");

    /// <summary>field.TooLongMaxLength: the value itself is not shown.</summary>
    public void TooLong(string field, long maxLength) =>
        Add("FieldValueTooLong", field, maxLength >= 0 ? $"Too long: may not be longer than {maxLength}" : "Too long: value is too long");

    /// <summary>field.TooMany: "Too many: 3: must have at most 2 items".</summary>
    public void TooMany(string field, long actual, long max) =>
        Add("FieldValueTooMany", field, max >= 0 ? $"Too many: {actual}: must have at most {max} items" : $"Too many: {actual}: has too many items");

    /// <summary>The immutable-field error upstream gives ("field is immutable").</summary>
    public void Immutable(string field, object? value) => Invalid(field, value, "field is immutable");

    private void Add(string reason, string field, string message) => _causes.Add(new V1StatusCause { Reason = reason, Field = field, Message = message });

    private static string Suffix(string detail) => detail.Length == 0 ? string.Empty : ": " + detail;

    private static string Show(object? value) => value switch
    {
        null => "null",
        string text => $"\"{text}\"",
        bool flag => flag ? "true" : "false",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "null",
    };
}
