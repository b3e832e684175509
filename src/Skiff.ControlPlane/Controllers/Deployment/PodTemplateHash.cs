using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.Machinery.Json;

namespace Skiff.ControlPlane.Controllers.Deployment;

/// <summary>
/// The <c>pod-template-hash</c> label value: a stable hash of the (server-defaulted) pod template without the hash label
/// itself. The same template must always give the same hash, whatever the map order or a <c>creationTimestamp: null</c>
/// an undo patch carries, so that <c>rollout undo</c> finds the old ReplicaSet instead of creating a duplicate.
/// </summary>
internal static class PodTemplateHash
{
    public const string Label = "pod-template-hash";

    // Upstream's rand.SafeEncodeString alphabet: no vowels (no words) and no look-alike characters.
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string Compute(V1PodTemplateSpec? template, int? collisionCount = null)
    {
        JsonNode node = JsonSerializer(template);
        if (node["metadata"] is JsonObject meta)
        {
            meta.Remove("creationTimestamp");
            if (meta["labels"] is JsonObject labels)
            {
                labels.Remove(Label);
                if (labels.Count == 0)
                {
                    meta.Remove("labels");
                }
            }

            if (meta.Count == 0)
            {
                node.AsObject().Remove("metadata");
            }
        }

        var text = new StringBuilder();
        WriteCanonical(node, text);
        if (collisionCount is { } c)
        {
            text.Append('#').Append(c);
        }

        uint hash = Fnv1a(Encoding.UTF8.GetBytes(text.ToString()));
        return Encode(hash.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static JsonNode JsonSerializer(V1PodTemplateSpec? template) =>
        JsonNode.Parse(SkiffJson.ToBytes(template ?? new V1PodTemplateSpec())) ?? new JsonObject();

    // Objects with sorted keys and nulls dropped, so dictionary order and absent-versus-null do not change the hash.
    private static void WriteCanonical(JsonNode? node, StringBuilder text)
    {
        switch (node)
        {
            case JsonObject obj:
                text.Append('{');
                foreach (KeyValuePair<string, JsonNode?> property in obj.Where(p => p.Value is not null).OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    text.Append(System.Text.Json.JsonSerializer.Serialize(property.Key)).Append(':');
                    WriteCanonical(property.Value, text);
                    text.Append(',');
                }

                text.Append('}');
                break;
            case JsonArray array:
                text.Append('[');
                foreach (JsonNode? item in array)
                {
                    WriteCanonical(item, text);
                    text.Append(',');
                }

                text.Append(']');
                break;
            default:
                text.Append(node?.ToJsonString() ?? "null");
                break;
        }
    }

    private static uint Fnv1a(byte[] data)
    {
        uint hash = 2166136261;
        foreach (byte b in data)
        {
            hash ^= b;
            hash *= 16777619;
        }

        return hash;
    }

    private static string Encode(string digits)
    {
        var result = new StringBuilder(digits.Length);
        foreach (char c in digits)
        {
            result.Append(Alphabet[c % Alphabet.Length]);
        }

        return result.ToString();
    }
}
