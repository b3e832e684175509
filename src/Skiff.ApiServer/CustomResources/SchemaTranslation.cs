using System.Text.Json.Nodes;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// Turns a CRD's OpenAPI v3 structural schema into the JSON Schema 2020-12 the validator library evaluates, with the meaning
/// upstream's kube-openapi gives each keyword: <c>nullable</c> adds "null" to the type, <c>x-kubernetes-int-or-string</c> is
/// the type pair integer/string, OpenAPI's boolean <c>exclusiveMinimum</c>/<c>exclusiveMaximum</c> become the numeric form,
/// and only the formats upstream checks stay. Defaults, descriptions and the other extensions carry no validation and are
/// left out. The result mirrors the input's shape (properties, items, additionalProperties, allOf/anyOf/oneOf/not), so a
/// validation result can be walked back to the source schema.
/// </summary>
internal static class SchemaTranslation
{
    /// <summary>Keeps the format's name as written, for the error message (an annotation the validator ignores).</summary>
    public const string FormatNameKeyword = "x-skiff-format";

    private static readonly string[] s_copied =
    [
        "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "multipleOf", "minProperties",
        "maxProperties", "required", "enum",
    ];

    private static readonly string[] s_lists = ["allOf", "anyOf", "oneOf"];

    public static JsonObject ToJsonSchema(JsonObject schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var result = new JsonObject();
        bool nullable = schema["nullable"] is JsonValue n && n.TryGetValue(out bool isNullable) && isNullable;
        bool intOrString = schema["x-kubernetes-int-or-string"] is JsonValue ios && ios.TryGetValue(out bool isIntOrString) && isIntOrString;

        var types = new JsonArray();
        if (intOrString)
        {
            types.Add("integer");
            types.Add("string");
        }
        else if (schema["type"] is JsonValue type && type.TryGetValue(out string? typeName) && typeName.Length > 0)
        {
            types.Add(typeName);
        }

        if (types.Count > 0)
        {
            if (nullable)
            {
                types.Add("null");
            }

            result["type"] = types;
        }

        foreach (string keyword in s_copied)
        {
            if (schema[keyword] is { } value)
            {
                result[keyword] = value.DeepClone();
            }
        }

        Bound(schema, result, "minimum", "exclusiveMinimum");
        Bound(schema, result, "maximum", "exclusiveMaximum");

        if (schema["format"] is JsonValue format && format.TryGetValue(out string? formatName) && SchemaFormats.KeyFor(formatName) is { } key)
        {
            result["format"] = key;
            result[FormatNameKeyword] = formatName;
        }

        if (schema["properties"] is JsonObject properties)
        {
            var translated = new JsonObject();
            foreach (KeyValuePair<string, JsonNode?> property in properties)
            {
                translated[property.Key] = property.Value is JsonObject child ? ToJsonSchema(child) : new JsonObject();
            }

            result["properties"] = translated;
        }

        if (schema["x-kubernetes-embedded-resource"] is JsonValue e && e.TryGetValue(out bool embedded) && embedded)
        {
            // Upstream adds the type-meta and metadata fields to an embedded resource's schema.
            JsonObject implied = result["properties"] as JsonObject ?? [];
            foreach ((string name, string type) in new[] { ("apiVersion", "string"), ("kind", "string"), ("metadata", "object") })
            {
                if (!implied.ContainsKey(name))
                {
                    implied[name] = new JsonObject { ["type"] = new JsonArray(type) };
                }
            }

            result["properties"] = implied;
        }

        if (schema["items"] is JsonObject items)
        {
            result["items"] = ToJsonSchema(items);
        }

        switch (schema["additionalProperties"])
        {
            case JsonObject additional:
                result["additionalProperties"] = ToJsonSchema(additional);
                break;
            case JsonValue allows when allows.TryGetValue(out bool allowed) && !allowed:
                result["additionalProperties"] = false;
                break;
        }

        foreach (string list in s_lists)
        {
            if (schema[list] is JsonArray subschemas)
            {
                result[list] = new JsonArray(subschemas.Select(s => (JsonNode?)(s is JsonObject o ? ToJsonSchema(o) : new JsonObject())).ToArray());
            }
        }

        if (schema["not"] is JsonObject not)
        {
            result["not"] = ToJsonSchema(not);
        }

        return result;
    }

    // OpenAPI 3.0: a number bound plus a boolean "exclusive" flag; JSON Schema 2020-12: the exclusive bound is the number.
    private static void Bound(JsonObject schema, JsonObject result, string inclusive, string exclusive)
    {
        if (schema[inclusive] is not JsonValue bound)
        {
            return;
        }

        bool isExclusive = schema[exclusive] is JsonValue flag && flag.TryGetValue(out bool e) && e;
        result[isExclusive ? exclusive : inclusive] = bound.DeepClone();
    }
}
