using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// Upstream's structural pruning: an object keeps only the fields its schema declares in <c>properties</c> (every value
/// of a map with <c>additionalProperties</c> is pruned by that schema), unless the level says
/// <c>x-kubernetes-preserve-unknown-fields: true</c>, where unknown fields stay but known ones are still pruned. The root
/// (and every <c>x-kubernetes-embedded-resource</c>) keeps apiVersion and kind, and its metadata keeps ObjectMeta's fields.
/// Each removed field's path ("spec.foo", "spec.items[0].bar") is reported.
/// </summary>
internal static class SchemaPruning
{
    private static readonly FrozenSet<string> s_objectMetaFields = new[]
    {
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    }.ToFrozenSet(StringComparer.Ordinal);

    public static void PruneResource(JsonObject item, JsonObject schema, List<string> unknownFields) =>
        PruneObject(item, schema, string.Empty, isResource: true, unknownFields);

    /// <summary>Prunes a value that is not a whole resource (a default inside the schema).</summary>
    public static void PruneValue(JsonNode? value, JsonObject schema, List<string> unknownFields) => Prune(value, schema, string.Empty, unknownFields);

    private static void Prune(JsonNode? value, JsonObject? schema, string path, List<string> unknownFields)
    {
        if (schema is null)
        {
            return;
        }

        switch (value)
        {
            case JsonObject obj:
                PruneObject(obj, schema, path, IsTrue(schema, "x-kubernetes-embedded-resource"), unknownFields);
                break;
            case JsonArray array when schema["items"] is JsonObject items:
                for (int i = 0; i < array.Count; i++)
                {
                    Prune(array[i], items, path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", unknownFields);
                }

                break;
        }
    }

    private static void PruneObject(JsonObject obj, JsonObject schema, string path, bool isResource, List<string> unknownFields)
    {
        bool preserve = IsTrue(schema, "x-kubernetes-preserve-unknown-fields");
        JsonObject? properties = schema["properties"] as JsonObject;
        JsonObject? additional = schema["additionalProperties"] as JsonObject;
        bool additionalAllowed = schema["additionalProperties"] is JsonValue allows && allows.TryGetValue(out bool a) && a;
        foreach (string key in obj.Select(p => p.Key).ToList())
        {
            string child = path.Length == 0 ? key : path + "." + key;
            if (isResource && key is "apiVersion" or "kind")
            {
                continue;
            }

            if (isResource && key == "metadata")
            {
                PruneMetadata(obj[key], child, unknownFields);
                continue;
            }

            if (properties?[key] is JsonObject known)
            {
                Prune(obj[key], known, child, unknownFields);
            }
            else if (additional is not null)
            {
                Prune(obj[key], additional, child, unknownFields);
            }
            else if (!preserve && !additionalAllowed)
            {
                obj.Remove(key);
                unknownFields.Add(child);
            }
        }
    }

    private static void PruneMetadata(JsonNode? metadata, string path, List<string> unknownFields)
    {
        if (metadata is not JsonObject meta)
        {
            return;
        }

        foreach (string key in meta.Select(p => p.Key).Where(k => !s_objectMetaFields.Contains(k)).ToList())
        {
            meta.Remove(key);
            unknownFields.Add(path + "." + key);
        }
    }

    private static bool IsTrue(JsonObject schema, string keyword) =>
        schema[keyword] is JsonValue v && v.TryGetValue(out bool flag) && flag;
}
