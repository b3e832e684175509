using System.Globalization;
using System.Text.Json.Nodes;
using Skiff.ApiServer.Registry;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// Upstream's extra rule for <c>x-kubernetes-embedded-resource</c> values (objects that are themselves Kubernetes
/// objects, like a template): apiVersion and kind must be given.
/// </summary>
internal static class EmbeddedResources
{
    public static void Validate(JsonNode? value, JsonObject? schema, string path, ValidationErrors errors)
    {
        if (schema is null)
        {
            return;
        }

        switch (value)
        {
            case JsonObject obj:
                if (path.Length > 0 && schema["x-kubernetes-embedded-resource"] is JsonValue flag && flag.TryGetValue(out bool embedded) && embedded)
                {
                    foreach (string required in new[] { "apiVersion", "kind" })
                    {
                        // A value of another type is the schema's type error; only a missing or empty one is reported here.
                        if (obj[required] is null || (obj[required] is JsonValue text && text.TryGetValue(out string? given) && given.Length == 0))
                        {
                            errors.Required(path + "." + required, "must not be empty");
                        }
                    }
                }

                JsonObject? additional = schema["additionalProperties"] as JsonObject;
                foreach (KeyValuePair<string, JsonNode?> field in obj)
                {
                    JsonObject? child = schema["properties"]?[field.Key] as JsonObject ?? additional;
                    Validate(field.Value, child, path.Length == 0 ? field.Key : path + "." + field.Key, errors);
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                for (int i = 0; i < array.Count; i++)
                {
                    Validate(array[i], items, path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", errors);
                }

                break;
        }
    }
}
