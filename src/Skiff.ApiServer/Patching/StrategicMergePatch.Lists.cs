using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Patching;

/// <summary>The list half of strategic merge patch: merge by key, primitive sets, deletions and ordering.</summary>
public static partial class StrategicMergePatch
{
    /// <summary>Merges a list tagged <c>patchStrategy:"merge"</c>; returns a new, parentless array.</summary>
    private static JsonArray MergeList(JsonArray? original, JsonArray patch, Type? elementType, string? mergeKey, string path)
    {
        List<JsonNode?> live = original is null ? [] : [.. original];
        List<JsonNode?> items = [.. live.Select(item => item.DeepCloneOrNull())];
        if (mergeKey is null)
        {
            return [.. Order(MergePrimitiveList(items, patch, path), [.. patch], live, null)];
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
            if (index >= 0 && items[index] is JsonObject liveElement)
            {
                items[index] = MergeMap(liveElement, patchElement, elementType, path);
            }
            else
            {
                items.Add(MergeMap([], patchElement, elementType, path));
            }
        }

        return [.. Order(items, regular, live, mergeKey)];
    }

    /// <summary>A merged list of primitives (finalizers, podCIDRs) is a set union that keeps the live order first.</summary>
    private static List<JsonNode?> MergePrimitiveList(List<JsonNode?> items, JsonArray patch, string path)
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

        return items;
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
    /// <c>$setElementOrder/&lt;field&gt;</c> carries the order the user wrote; elements it does not name (added by
    /// controllers or other writers) keep their place relative to the live list. Without a known merge key, an entry's
    /// single member names it, so custom resources order too.
    /// </summary>
    private static void SetElementOrder(JsonObject original, string field, JsonNode? order, JsonArray? patchList, JsonArray? live, string? mergeKey, string path)
    {
        if (order is not JsonArray entries)
        {
            throw PatchErrors.Malformed($"invalid patch format of setElementOrder list at {Describe(Join(path, field))}: it must be a list");
        }

        mergeKey ??= entries.FirstOrDefault() is JsonObject { Count: 1 } entry ? entry.First().Key : null;
        ValidateOrderCoversPatch(entries, patchList, mergeKey, Join(path, field));

        if (!original.TryGetPropertyValue(field, out JsonNode? current) || current is not JsonArray merged)
        {
            return;
        }

        List<JsonNode?> ordered = Order([.. merged.Select(item => item.DeepCloneOrNull())], [.. entries], [.. live ?? []], mergeKey);
        original[field] = new JsonArray([.. ordered]);
    }

    /// <summary>
    /// The patch's own elements must appear in <c>$setElementOrder</c>, in the same relative order; otherwise the two
    /// disagree about the order the user wants, and guessing would reorder someone's list silently.
    /// </summary>
    private static void ValidateOrderCoversPatch(JsonArray entries, JsonArray? patchList, string? mergeKey, string path)
    {
        if (patchList is null || entries.Count == 0)
        {
            return;
        }

        int next = 0;
        foreach (JsonNode? element in patchList)
        {
            if (element is JsonObject directive && directive.ContainsKey(PatchDirective))
            {
                continue;
            }

            JsonNode? identity = Identity(element, mergeKey);
            while (next < entries.Count && !JsonNode.DeepEquals(Identity(entries[next], mergeKey), identity))
            {
                next++;
            }

            if (next == entries.Count)
            {
                throw PatchErrors.Malformed($"invalid patch format of setElementOrder list at {path}: the order of the patch list does not match $setElementOrder");
            }

            next++;
        }
    }

    private static JsonNode? RequiredMergeKey(JsonObject element, string mergeKey, string path) =>
        element.TryGetPropertyValue(mergeKey, out JsonNode? key)
            ? key
            : throw PatchErrors.DoesNotApply($"{path}: element {element.ToJsonString()} does not contain declared merge key: {mergeKey}");

    private static bool MatchesKey(JsonNode? item, string mergeKey, JsonNode? key) =>
        item is JsonObject element && element.TryGetPropertyValue(mergeKey, out JsonNode? value) && JsonNode.DeepEquals(value, key);
}
