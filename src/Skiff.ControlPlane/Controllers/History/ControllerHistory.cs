using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.Machinery.Json;

namespace Skiff.ControlPlane.Controllers.History;

/// <summary>
/// ControllerRevisions as the StatefulSet and DaemonSet controllers keep them (upstream pkg/controller/history): the data is
/// the strategic merge patch <c>{"spec":{"template":{…,"$patch":"replace"}}}</c> that <c>kubectl rollout undo</c> sends
/// back to the owner unchanged, named <c>&lt;owner&gt;-&lt;hash&gt;</c> after a hash of that data. The JSON is canonical
/// (sorted keys, nulls dropped, as Go's encoding of a map), so the same template always gives the same bytes and hash.
/// </summary>
internal static class ControllerHistory
{
    /// <summary>The label upstream's history package puts on every revision it creates.</summary>
    public const string HashLabel = "controller.kubernetes.io/hash";

    // Upstream's rand.SafeEncodeString alphabet: no vowels (no words) and no look-alike characters.
    private const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>The revision data for a pod template: a patch that replaces the owner's spec.template.</summary>
    public static string PatchFor(V1PodTemplateSpec? template)
    {
        JsonObject node = JsonNode.Parse(SkiffJson.ToBytes(template ?? new V1PodTemplateSpec())) as JsonObject ?? [];
        node["$patch"] = "replace";
        var patch = new JsonObject { ["spec"] = new JsonObject { ["template"] = node } };
        return Canonical(patch);
    }

    /// <summary>The pod template a revision's data holds (the inverse of <see cref="PatchFor"/>).</summary>
    public static V1PodTemplateSpec? TemplateOf(V1ControllerRevision revision)
    {
        if (DataNode(revision)?["spec"]?["template"] is not JsonObject template)
        {
            return null;
        }

        template.Remove("$patch");
        return SkiffJson.FromBytes<V1PodTemplateSpec>(Encoding.UTF8.GetBytes(template.ToJsonString()));
    }

    /// <summary>The data in canonical form, whatever key order the server returned it in; empty when there is none.</summary>
    public static string DataOf(V1ControllerRevision revision) =>
        DataNode(revision) is { } node ? Canonical(node) : string.Empty;

    /// <summary>FNV-1a over the data (and the collision count, so a collision yields a new name), safe-encoded.</summary>
    public static string Hash(string data, int? collisionCount)
    {
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(data))
        {
            hash = (hash ^ b) * 16777619;
        }

        if (collisionCount is int count)
        {
            foreach (byte b in BitConverter.GetBytes((uint)count))
            {
                hash = (hash ^ b) * 16777619;
            }
        }

        string digits = hash.ToString(CultureInfo.InvariantCulture);
        var encoded = new StringBuilder(digits.Length);
        foreach (char c in digits)
        {
            encoded.Append(Alphabet[c % Alphabet.Length]);
        }

        return encoded.ToString();
    }

    /// <summary>
    /// A revision of <paramref name="owner"/>'s template: labels are the template's plus <paramref name="hashLabel"/> = hash,
    /// controlled by the owner, so <c>kubectl rollout history</c> finds it by the owner's selector and controller reference.
    /// </summary>
    public static V1ControllerRevision New(V1OwnerReference owner, V1ObjectMeta ownerMeta, V1PodTemplateSpec? template, long revision, int? collisionCount, string hashLabel, IDictionary<string, string>? annotations = null)
    {
        string data = PatchFor(template);
        string hash = Hash(data, collisionCount);
        var labels = new Dictionary<string, string>(template?.Metadata?.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [hashLabel] = hash,
        };
        string prefix = ownerMeta.Name.Length > 223 ? ownerMeta.Name[..223] : ownerMeta.Name;
        return new V1ControllerRevision
        {
            ApiVersion = "apps/v1",
            Kind = "ControllerRevision",
            Metadata = new V1ObjectMeta
            {
                Name = prefix + "-" + hash,
                NamespaceProperty = ownerMeta.NamespaceProperty,
                Labels = labels,
                Annotations = annotations is null ? null : new Dictionary<string, string>(annotations),
                OwnerReferences = [owner],
            },
            Data = JsonNode.Parse(data),
            Revision = revision,
        };
    }

    /// <summary>Same template: the same data, whatever name or revision number either carries.</summary>
    public static bool SameData(V1ControllerRevision a, V1ControllerRevision b) =>
        string.Equals(DataOf(a), DataOf(b), StringComparison.Ordinal);

    public static long MaxRevision(IEnumerable<V1ControllerRevision> revisions) =>
        revisions.Select(r => r.Revision ?? 0).DefaultIfEmpty(0).Max();

    /// <summary>
    /// Revisions to delete so at most <paramref name="limit"/> unused ones remain: oldest first, never one in
    /// <paramref name="inUse"/> (the current and update revisions and those live pods still run).
    /// </summary>
    public static List<V1ControllerRevision> ToCleanUp(IEnumerable<V1ControllerRevision> revisions, ISet<string> inUse, int limit)
    {
        List<V1ControllerRevision> unused = [.. revisions.Where(r => !inUse.Contains(r.Metadata.Name)).OrderBy(r => r.Revision ?? 0)];
        return [.. unused.Take(Math.Max(0, unused.Count - Math.Max(0, limit)))];
    }

    private static JsonNode? DataNode(V1ControllerRevision revision) => revision.Data switch
    {
        null => null,
        JsonNode node => JsonNode.Parse(node.ToJsonString()),
        JsonElement element => JsonNode.Parse(element.GetRawText()),
        string text => JsonNode.Parse(text),
        object other => JsonNode.Parse(JsonSerializer.Serialize(other, SkiffJson.Options)),
    };

    // Objects with sorted keys and nulls dropped: dictionary order and absent-versus-null do not change the bytes.
    private static string Canonical(JsonNode node)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(node, writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(JsonNode? node, Utf8JsonWriter writer)
    {
        switch (node)
        {
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (KeyValuePair<string, JsonNode?> property in obj.Where(p => p.Value is not null).OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Key);
                    Write(property.Value, writer);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (JsonNode? item in array)
                {
                    Write(item, writer);
                }

                writer.WriteEndArray();
                break;
            case null:
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}
