using System.Text.Json.Nodes;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// Upstream's structural defaulting: a property with a <c>default</c> gets it when it is missing, or null while the property
/// is not nullable; then every value is defaulted by its own schema, so defaults reach into objects, array items and
/// additionalProperties values, including values that were themselves just defaulted. Given values are never replaced.
/// </summary>
internal static class SchemaDefaulting
{
    public static void Apply(JsonNode? value, JsonObject? schema)
    {
        if (schema is null)
        {
            return;
        }

        switch (value)
        {
            case JsonObject obj:
                if (schema["properties"] is JsonObject properties)
                {
                    foreach (KeyValuePair<string, JsonNode?> property in properties)
                    {
                        if (property.Value is JsonObject propertySchema && propertySchema.TryGetPropertyValue("default", out JsonNode? fallback) &&
                            fallback is not null && (!obj.TryGetPropertyValue(property.Key, out JsonNode? given) || IsNonNullableNull(given, propertySchema)))
                        {
                            obj[property.Key] = fallback.DeepClone();
                        }
                    }
                }

                JsonObject? additional = schema["additionalProperties"] as JsonObject;
                foreach (string key in obj.Select(p => p.Key).ToList())
                {
                    if (schema["properties"]?[key] is JsonObject known)
                    {
                        Apply(obj[key], known);
                    }
                    else if (additional is not null)
                    {
                        ReplaceNull(obj, key, additional);
                        Apply(obj[key], additional);
                    }
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                for (int i = 0; i < array.Count; i++)
                {
                    if (IsNonNullableNull(array[i], items) && items["default"] is { } itemDefault)
                    {
                        array[i] = itemDefault.DeepClone();
                    }

                    Apply(array[i], items);
                }

                break;
        }
    }

    private static void ReplaceNull(JsonObject obj, string key, JsonObject schema)
    {
        if (IsNonNullableNull(obj[key], schema) && schema["default"] is { } fallback)
        {
            obj[key] = fallback.DeepClone();
        }
    }

    private static bool IsNonNullableNull(JsonNode? value, JsonObject schema) =>
        value is null && !(schema["nullable"] is JsonValue n && n.TryGetValue(out bool nullable) && nullable);
}
