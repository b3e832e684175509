using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Patching;

/// <summary>The list half of strategic merge patch: merge by key, primitive sets, deletions and ordering.</summary>
public static partial class StrategicMergePatch
{
    /// <summary>Merges a list tagged <c>patchStrategy:"merge"</c>; returns a new, parentless array.</summary>
    private static JsonArray MergeList(JsonArray? original, JsonArray patch, Type? elementType, string? mergeKey, string path)
    {
        List<JsonNode?> items = original?.Select(item => item.DeepCloneOrNull()).ToList() ?? [];
        if (mergeKey is null)
        {
            return MergePrimitiveList(items, patch, path);
        }

        // Directive elements go first, as upstream does: a delete matches live elements only, never ones the patch adds.
        var regular = new List<JsonObject>();
        bool replace = false;
        foreach (JsonNode? element in patch)
        {
            if (element is not JsonObject patchElement)
            {
                throw PatchErrors.Malformed($"{path}: every element of a list merged by \"{mergeKey}\" must be an object, got {element?.ToJsonString() ?? "null"}");
            }

            if (!patchElement.TryGetPropertyValue(PatchDirective, out JsonNode? directive))
            {
                regular.Add(patchElement);
                continue;
            }

            switch (DirectiveValue(directive))
            {
                case "delete":
                    JsonNode? key = RequiredMergeKey(patchElement, mergeKey, path);
                    items.RemoveAll(item => MatchesKey(item, mergeKey, key));
                    break;
                case "replace":
                    replace = true;
                    break;
                case "merge":
                    throw PatchErrors.Malformed($"{path}: merging lists cannot yet be specified in the patch");
                default:
                    throw PatchErrors.Malformed($"{path}: unknown patch type \"{directive?.ToJsonString()}\" in list element {patchElement.ToJsonString()}");
            }
        }

        if (replace)
        {
            items.Clear();
        }

        foreach (JsonObject patchElement in regular)
        {
            JsonNode? key = RequiredMergeKey(patchElement, mergeKey, path);
            int index = items.FindIndex(item => MatchesKey(item, mergeKey, key));
            if (index >= 0 && items[index] is JsonObject live)
            {
                items[index] = MergeMap(live, patchElement, elementType, path);
            }
            else
            {
                items.Add(MergeMap([], patchElement, elementType, path));
            }
        }

        return [.. items];
    }

    /// <summary>A merged list of primitives (finalizers, podCIDRs) is a set union that keeps the live order first.</summary>
    private static JsonArray MergePrimitiveList(List<JsonNode?> items, JsonArray patch, string path)
    {
        foreach (JsonNode? element in patch)
        {
            if (element is JsonObject or JsonArray)
            {
                throw PatchErrors.Malformed($"{path}: a list of primitives cannot contain {element.ToJsonString()}");
            }

            if (!items.Exists(item => JsonNode.DeepEquals(item, element)))
            {
                items.Add(element.DeepCloneOrNull());
            }
        }

        return [.. items];
    }

    /// <summary><c>$deleteFromPrimitiveList/&lt;field&gt;</c>: kubectl apply's way to drop values it once set from a merged primitive list.</summary>
    private static void DeleteFromPrimitiveList(JsonObject original, string field, JsonNode? values, string path)
    {
        if (values is not JsonArray remove)
        {
            throw PatchErrors.Malformed($"invalid patch format of primitive list at {Describe(Join(path, field))}: $deleteFromPrimitiveList must be a list");
        }

        if (original.TryGetPropertyValue(field, out JsonNode? current) && current is JsonArray live)
        {
            original[field] = new JsonArray([.. live.Where(item => !remove.Any(r => JsonNode.DeepEquals(r, item))).Select(item => item.DeepCloneOrNull())]);
        }
    }

    /// <summary>
    /// <c>$setElementOrder/&lt;field&gt;</c> carries the order the user wrote. Listed elements come first in that order;
    /// elements the user does not own (added by controllers or others) keep their relative order after them.
    /// Entries are matched by every member they name, so this works without knowing the merge key.
    /// </summary>
    private static void SetElementOrder(JsonObject original, string field, JsonNode? order, string path)
    {
        if (order is not JsonArray entries)
        {
            throw PatchErrors.Malformed($"invalid patch format of setElementOrder list at {Describe(Join(path, field))}: it must be a list");
        }

        if (!original.TryGetPropertyValue(field, out JsonNode? current) || current is not JsonArray live)
        {
            return;
        }

        var remaining = live.Select(item => item.DeepCloneOrNull()).ToList();
        var ordered = new List<JsonNode?>(remaining.Count);
        foreach (JsonNode? entry in entries)
        {
            int index = remaining.FindIndex(item => MatchesOrderEntry(item, entry));
            if (index >= 0)
            {
                ordered.Add(remaining[index]);
                remaining.RemoveAt(index);
            }
        }

        ordered.AddRange(remaining);
        original[field] = new JsonArray([.. ordered]);
    }

    private static bool MatchesOrderEntry(JsonNode? item, JsonNode? entry)
    {
        if (entry is not JsonObject keys)
        {
            return JsonNode.DeepEquals(item, entry);
        }

        return item is JsonObject element
            && keys.Count > 0
            && keys.All(k => element.TryGetPropertyValue(k.Key, out JsonNode? value) && JsonNode.DeepEquals(value, k.Value));
    }

    private static JsonNode? RequiredMergeKey(JsonObject element, string mergeKey, string path) =>
        element.TryGetPropertyValue(mergeKey, out JsonNode? key)
            ? key
            : throw PatchErrors.DoesNotApply($"{path}: element {element.ToJsonString()} does not contain declared merge key: {mergeKey}");

    private static bool MatchesKey(JsonNode? item, string mergeKey, JsonNode? key) =>
        item is JsonObject element && element.TryGetPropertyValue(mergeKey, out JsonNode? value) && JsonNode.DeepEquals(value, key);
}
