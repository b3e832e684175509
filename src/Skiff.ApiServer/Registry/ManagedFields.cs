using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Skiff.ApiServer.Registry;

/// <summary>
/// Keeps <c>metadata.managedFields</c>: one entry per manager and operation with the fields it set (FieldsV1), as upstream
/// records them for kubectl and server-side apply.
/// </summary>
internal static class ManagedFields
{
    private static readonly HashSet<string> s_untracked = ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "namespace", "name"];

    /// <summary>Records that <paramref name="manager"/> set the object's fields, replacing its previous entry for the operation.</summary>
    public static void Record(IKubernetesObject<V1ObjectMeta> item, string manager, string operation, string apiVersion, DateTime now, JsonObject? fields = null)
    {
        ArgumentNullException.ThrowIfNull(item);
        V1ObjectMeta metadata = item.Metadata;
        var entries = (metadata.ManagedFields ?? []).Where(e => !(e.Manager == manager && e.Operation == operation)).ToList();
        JsonObject set = fields ?? FieldSet(ObjectCodec.Encode(item));
        entries.Add(new V1ManagedFieldsEntry
        {
            Manager = manager,
            Operation = operation,
            ApiVersion = apiVersion,
            Time = now,
            FieldsType = "FieldsV1",
            FieldsV1 = set,
        });
        metadata.ManagedFields = entries;
    }

    /// <summary>The FieldsV1 set of an object: <c>f:</c> for fields, <c>k:</c> for list items keyed by name.</summary>
    public static JsonObject FieldSet(JsonObject json, bool top = true)
    {
        var set = new JsonObject();
        foreach ((string key, JsonNode? value) in json)
        {
            if (top && key is "apiVersion" or "kind" or "status")
            {
                continue;
            }

            if (top && key == "metadata" && value is JsonObject metadata)
            {
                var meta = new JsonObject();
                foreach ((string field, JsonNode? inner) in metadata)
                {
                    if (!s_untracked.Contains(field))
                    {
                        meta[$"f:{field}"] = inner is JsonObject map ? FieldSet(map, top: false) : new JsonObject();
                    }
                }

                set["f:metadata"] = meta;
                continue;
            }

            set[$"f:{key}"] = value switch
            {
                JsonObject map => FieldSet(map, top: false),
                JsonArray list when list.All(e => e is JsonObject o && o["name"] is JsonValue) => Keyed(list),
                _ => new JsonObject(),
            };
        }

        return set;
    }

    private static JsonObject Keyed(JsonArray list)
    {
        var set = new JsonObject();
        foreach (JsonObject element in list.Cast<JsonObject>())
        {
            string key = $"k:{{\"name\":{element["name"]!.ToJsonString()}}}";
            JsonObject inner = FieldSet(element, top: false);
            inner["."] = new JsonObject();
            set[key] = inner;
        }

        return set;
    }
}
