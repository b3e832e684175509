using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Skiff.ApiServer.Registry;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// Turns the library's hierarchical evaluation result into upstream's causes: the path of the field (<c>spec.items[0].name</c>),
/// the cause type apiextensions gives each kube-openapi error code (Required, Unsupported value, Too long, Too many, type
/// errors, everything else Invalid value) and kube-openapi's message text ("spec.x in body should match '^a$'").
/// Messages are built from the translated schema node and the instance, never from the library's own wording.
/// </summary>
internal static class SchemaErrors
{
    private const string NilPath = "<nil>";

    public static void Collect(EvaluationResults result, JsonObject schema, JsonNode? instance, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(errors);
        Walk(result, schema, instance, errors);
    }

    private static void Walk(EvaluationResults result, JsonObject schema, JsonNode? instance, ValidationErrors errors)
    {
        if (result.IsValid)
        {
            return;
        }

        string[] location = Segments(result.InstanceLocation.ToString());
        string field = FieldPath(instance, location);
        JsonNode? value = Resolve(instance, location);
        if (result.Errors is { } keywordErrors)
        {
            foreach (string keyword in keywordErrors.Keys)
            {
                Emit(keyword, schema, field, value, errors);
            }
        }

        int depth = Segments(result.EvaluationPath.ToString()).Length;
        var composites = new Dictionary<string, List<EvaluationResults>>(StringComparer.Ordinal);
        foreach (EvaluationResults child in result.Details ?? [])
        {
            string[] relative = Segments(child.EvaluationPath.ToString()).Skip(depth).ToArray();
            if (relative.Length == 0)
            {
                continue;
            }

            switch (relative[0])
            {
                case "properties" when relative.Length > 1 && PropertySchema(schema, relative[1]) is { } property:
                    Walk(child, property, instance, errors);
                    break;
                case "items" when schema["items"] is JsonObject items:
                    Walk(child, items, instance, errors);
                    break;
                case "additionalProperties" when schema["additionalProperties"] is JsonObject additional:
                    Walk(child, additional, instance, errors);
                    break;
                case "anyOf" or "oneOf" or "allOf" or "not":
                    if (!composites.TryGetValue(relative[0], out List<EvaluationResults>? list))
                    {
                        composites[relative[0]] = list = [];
                    }

                    list.Add(child);
                    break;
            }
        }

        Composites(composites, schema, field, instance, errors);
    }

    // kube-openapi's schemaPropsValidator: the composite message (a cause without a field, "<nil>" in upstream's output)
    // and the errors of the failing branch.
    private static void Composites(Dictionary<string, List<EvaluationResults>> composites, JsonObject schema, string field, JsonNode? instance,
        ValidationErrors errors)
    {
        string quoted = Quote(field);
        if (composites.TryGetValue("anyOf", out List<EvaluationResults>? anyOf) && !anyOf.Any(r => r.IsValid))
        {
            errors.Invalid(NilPath, string.Empty, $"{quoted} must validate at least one schema (anyOf)");
            WalkBranch(anyOf[0], schema, "anyOf", instance, errors);
        }

        if (composites.TryGetValue("oneOf", out List<EvaluationResults>? oneOf))
        {
            int valid = oneOf.Count(r => r.IsValid);
            if (valid != 1)
            {
                string found = valid == 0 ? "Found none valid" : $"Found {valid} valid alternatives";
                errors.Invalid(NilPath, string.Empty, $"{quoted} must validate one and only one schema (oneOf). {found}");
                if (valid == 0)
                {
                    WalkBranch(oneOf[0], schema, "oneOf", instance, errors);
                }
            }
        }

        if (composites.TryGetValue("allOf", out List<EvaluationResults>? allOf) && allOf.Any(r => !r.IsValid))
        {
            foreach (EvaluationResults branch in allOf.Where(r => !r.IsValid))
            {
                WalkBranch(branch, schema, "allOf", instance, errors);
            }

            string none = allOf.Any(r => r.IsValid) ? string.Empty : ". None validated";
            errors.Invalid(NilPath, string.Empty, $"{quoted} must validate all the schemas (allOf){none}");
        }

        if (composites.TryGetValue("not", out List<EvaluationResults>? not) && not.Any(r => r.IsValid))
        {
            errors.Invalid(NilPath, string.Empty, $"{quoted} must not validate the schema (not)");
        }
    }

    private static void WalkBranch(EvaluationResults branch, JsonObject schema, string keyword, JsonNode? instance, ValidationErrors errors)
    {
        string[] path = Segments(branch.EvaluationPath.ToString());
        if (path.Length > 0 && int.TryParse(path[^1], NumberStyles.None, CultureInfo.InvariantCulture, out int index) &&
            schema[keyword] is JsonArray branches && index < branches.Count && branches[index] is JsonObject branchSchema)
        {
            Walk(branch, branchSchema, instance, errors);
        }
    }

    private static void Emit(string keyword, JsonObject schema, string field, JsonNode? value, ValidationErrors errors)
    {
        object? shown = GoValue(value);
        switch (keyword)
        {
            case "type":
                string expected = string.Join(",", (schema["type"] as JsonArray ?? []).Select(t => t?.GetValue<string>()).Where(t => t != "null"));
                string actual = TypeName(value);
                errors.TypeInvalid(field, actual, $"{field} in body must be of type {expected}: {Quote(actual)}");
                break;
            case "required":
                foreach (string name in (schema["required"] as JsonArray ?? []).Select(n => n?.GetValue<string>() ?? string.Empty))
                {
                    if (value is JsonObject present && !present.ContainsKey(name))
                    {
                        errors.Required(Child(field, name));
                    }
                }

                break;
            case "enum":
                IEnumerable<string> supported = (schema["enum"] as JsonArray ?? []).Select(e =>
                    e is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : e?.ToJsonString() ?? "null");
                errors.NotSupported(field, shown, supported);
                break;
            case "maxLength":
                errors.TooLong(field, Integer(schema["maxLength"]));
                break;
            case "minLength":
                errors.Invalid(field, shown, $"{field} in body should be at least {Integer(schema["minLength"])} chars long");
                break;
            case "pattern":
                errors.Invalid(field, shown, $"{field} in body should match '{schema["pattern"]?.GetValue<string>()}'");
                break;
            case "minimum":
                errors.Invalid(field, shown, $"{field} in body should be greater than or equal to {Number(schema["minimum"])}");
                break;
            case "exclusiveMinimum":
                errors.Invalid(field, shown, $"{field} in body should be greater than {Number(schema["exclusiveMinimum"])}");
                break;
            case "maximum":
                errors.Invalid(field, shown, $"{field} in body should be less than or equal to {Number(schema["maximum"])}");
                break;
            case "exclusiveMaximum":
                errors.Invalid(field, shown, $"{field} in body should be less than {Number(schema["exclusiveMaximum"])}");
                break;
            case "multipleOf":
                errors.Invalid(field, shown, $"{field} in body should be a multiple of {Number(schema["multipleOf"])}");
                break;
            case "minItems":
                long minItems = Integer(schema["minItems"]);
                errors.Invalid(field, (long)((value as JsonArray)?.Count ?? 0), $"{field} in body should have at least {minItems} items");
                break;
            case "maxItems":
                errors.TooMany(field, (value as JsonArray)?.Count ?? 0, Integer(schema["maxItems"]));
                break;
            case "uniqueItems":
                errors.Invalid(field, string.Empty, $"{field} in body shouldn't contain duplicates");
                break;
            case "minProperties":
                long minProperties = Integer(schema["minProperties"]);
                errors.Invalid(field, minProperties, $"{field} in body should have at least {minProperties} properties");
                break;
            case "maxProperties":
                // apiextensions reads the limit as the actual count and finds no maximum: "Too many: 2: has too many items".
                errors.TooMany(field, Integer(schema["maxProperties"]), -1);
                break;
            case "format":
                string format = schema[SchemaTranslation.FormatNameKeyword]?.GetValue<string>() ?? string.Empty;
                errors.TypeInvalid(field, shown, $"{field} in body must be of type {format}: {Quote(shown as string ?? string.Empty)}");
                break;
            default:
                errors.Invalid(field, shown, $"{field} in body is invalid ({keyword})");
                break;
        }
    }

    /// <summary>The field path upstream prints: dots between names, brackets for list indexes, no leading dot.</summary>
    public static string FieldPath(JsonNode? instance, IReadOnlyList<string> segments)
    {
        var path = new System.Text.StringBuilder();
        JsonNode? current = instance;
        foreach (string segment in segments)
        {
            if (current is JsonArray array && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                path.Append('[').Append(segment).Append(']');
                current = index < array.Count ? array[index] : null;
            }
            else
            {
                if (path.Length > 0)
                {
                    path.Append('.');
                }

                path.Append(segment);
                current = current is JsonObject obj ? obj[segment] : null;
            }
        }

        return path.ToString();
    }

    private static JsonObject? PropertySchema(JsonObject schema, string name) =>
        schema["properties"] is JsonObject properties && properties[name] is JsonObject property ? property : null;

    public static string Child(string field, string name) => field.Length == 0 ? name : field + "." + name;

    private static JsonNode? Resolve(JsonNode? instance, string[] segments)
    {
        JsonNode? current = instance;
        foreach (string segment in segments)
        {
            current = current switch
            {
                JsonArray array when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i < array.Count => array[i],
                JsonObject obj => obj[segment],
                _ => null,
            };
        }

        return current;
    }

    private static string[] Segments(string pointer) =>
        pointer.Length == 0 ? [] : pointer.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();

    /// <summary>The JSON type name kube-openapi infers from a decoded value (whole numbers are integers).</summary>
    public static string TypeName(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => IsWhole(v) ? "integer" : "number",
            _ => "null",
        },
        _ => "null",
    };

    /// <summary>The value as Go prints a decoded JSON value in a cause: strings quoted, whole numbers as int64.</summary>
    public static object? GoValue(JsonNode? value) => value switch
    {
        null => null,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when IsWhole(v) && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) => l,
            JsonValueKind.Number => double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture),
            _ => null,
        },
        _ => value.ToJsonString(),
    };

    private static bool IsWhole(JsonValue value)
    {
        string text = value.ToJsonString();
        return text.IndexOfAny(['.', 'e', 'E']) < 0;
    }

    private static long Integer(JsonNode? node) =>
        node is JsonValue v && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? (long)d : -1;

    private static string Number(JsonNode? node) =>
        node is JsonValue v && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
            ? d.ToString("R", CultureInfo.InvariantCulture)
            : string.Empty;

    // Go's %q for the plain strings these messages carry.
    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
