using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.ApiServer.Patching;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Endpoints;

/// <summary>
/// Server-side apply (PATCH with application/apply-patch+yaml): the applied configuration is merged into the object, the
/// manager becomes the owner of the fields it applied, fields it applied before and no longer applies are removed, and a
/// field another manager owns with a different value is a 409 conflict unless the request forces it.
/// </summary>
internal static class ServerSideApply
{
    /// <summary>The object to create when nothing exists yet: the configuration itself.</summary>
    public static JsonObject Create(JsonObject applied, string manager)
    {
        ArgumentNullException.ThrowIfNull(applied);
        _ = manager;
        return applied.DeepClone().AsObject();
    }

    public static JsonObject Apply(JsonObject current, JsonObject applied, string manager, bool force, ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(applied);
        ArgumentNullException.ThrowIfNull(resource);
        JsonObject appliedSet = ManagedFields.FieldSet(applied);
        HashSet<string> appliedPaths = Leaves(appliedSet);
        JsonArray entries = current["metadata"]?["managedFields"] as JsonArray ?? [];

        var conflicts = new List<V1StatusCause>();
        var remaining = new JsonArray();
        HashSet<string> previouslyApplied = [];
        foreach (JsonNode? entry in entries)
        {
            string? owner = entry?["manager"]?.GetValue<string>();
            string? operation = entry?["operation"]?.GetValue<string>();
            HashSet<string> owned = entry?["fieldsV1"] is JsonObject fields ? Leaves(fields) : [];
            if (owner == manager && operation == "Apply")
            {
                previouslyApplied = owned;
                continue;
            }

            var clashing = owned.Where(p => appliedPaths.Contains(p) && !JsonNode.DeepEquals(ValueAt(current, p), ValueAt(applied, p))).ToList();
            if (clashing.Count > 0 && !force && owner != manager)
            {
                conflicts.AddRange(clashing.Select(p => new V1StatusCause { Reason = "FieldManagerConflict", Field = Readable(p), Message = $"conflict with \"{owner}\" using {entry?["apiVersion"]}" }));
            }

            // A forced apply takes the fields over: the other manager stops owning them.
            if (force && clashing.Count > 0 && entry?["fieldsV1"] is JsonObject ownedSet)
            {
                foreach (string path in clashing)
                {
                    RemovePath(ownedSet, path);
                }
            }

            remaining.Add(entry?.DeepClone());
        }

        if (conflicts.Count > 0)
        {
            string name = current["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
            string list = string.Join("\n", conflicts.Select(c => $"- {c.Message}: {c.Field}"));
            throw new StatusException(409, "Conflict", $"Apply failed with {conflicts.Count} conflict{(conflicts.Count == 1 ? string.Empty : "s")}: {list}", new V1StatusDetails
            {
                Name = name,
                Group = string.IsNullOrEmpty(resource.Group) ? null : resource.Group,
                Kind = resource.Plural,
                Causes = conflicts,
            });
        }

        JsonObject merged = StrategicMergePatch.Apply(current, applied, resource.ClrType);
        foreach (string dropped in previouslyApplied.Where(p => !appliedPaths.Contains(p) && !OwnedByOthers(remaining, p)))
        {
            RemoveValue(merged, dropped);
        }

        remaining.Add(new JsonObject
        {
            ["manager"] = manager,
            ["operation"] = "Apply",
            ["apiVersion"] = resource.ApiVersion,
            ["fieldsType"] = "FieldsV1",
            ["fieldsV1"] = appliedSet,
        });
        merged["metadata"] ??= new JsonObject();
        merged["metadata"]!["managedFields"] = remaining;
        return merged;
    }

    private static bool OwnedByOthers(JsonArray entries, string path) =>
        entries.Any(e => e?["fieldsV1"] is JsonObject fields && Leaves(fields).Contains(path));

    /// <summary>Every leaf path of a FieldsV1 set, as "f:spec/f:replicas".</summary>
    private static HashSet<string> Leaves(JsonObject set)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        Collect(set, string.Empty, paths);
        return paths;
    }

    private static void Collect(JsonObject set, string prefix, HashSet<string> paths)
    {
        foreach ((string key, JsonNode? value) in set)
        {
            if (key == ".")
            {
                continue;
            }

            string path = prefix.Length == 0 ? key : $"{prefix}/{key}";
            if (value is JsonObject inner && inner.Any(kv => kv.Key != "."))
            {
                Collect(inner, path, paths);
            }
            else
            {
                paths.Add(path);
            }
        }
    }

    private static JsonNode? ValueAt(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (string segment in path.Split('/'))
        {
            node = Step(node, segment);
        }

        return node;
    }

    private static JsonNode? Step(JsonNode? node, string segment)
    {
        if (segment.StartsWith("f:", StringComparison.Ordinal))
        {
            return node is JsonObject obj ? obj[segment[2..]] : null;
        }

        if (segment.StartsWith("k:", StringComparison.Ordinal) && node is JsonArray list && JsonNode.Parse(segment[2..]) is JsonObject key)
        {
            return list.FirstOrDefault(e => e is JsonObject element && key.All(kv => JsonNode.DeepEquals(element[kv.Key], kv.Value)));
        }

        return null;
    }

    private static void RemoveValue(JsonObject root, string path)
    {
        string[] segments = path.Split('/');
        JsonNode? parent = root;
        for (int i = 0; i < segments.Length - 1; i++)
        {
            parent = Step(parent, segments[i]);
        }

        string last = segments[^1];
        if (parent is JsonObject obj && last.StartsWith("f:", StringComparison.Ordinal))
        {
            obj.Remove(last[2..]);
        }
        else if (parent is JsonArray list && Step(list, last) is { } element)
        {
            list.Remove(element);
        }
    }

    private static void RemovePath(JsonObject set, string path)
    {
        string[] segments = path.Split('/');
        JsonObject? node = set;
        for (int i = 0; i < segments.Length - 1 && node is not null; i++)
        {
            node = node[segments[i]] as JsonObject;
        }

        node?.Remove(segments[^1]);
    }

    private static string Readable(string path) =>
        string.Join(".", path.Split('/').Select(s => s.StartsWith("f:", StringComparison.Ordinal) ? s[2..] : s[2..]));
}
