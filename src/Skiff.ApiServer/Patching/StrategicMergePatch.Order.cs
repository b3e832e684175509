using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Patching;

/// <summary>
/// The order of a merged list, as upstream computes it: the elements the patch names follow the patch's order (or its
/// <c>$setElementOrder</c>), and the elements only the server knows are slotted back in where the live list had them
/// relative to the patch's elements. Without this, kubectl apply could shuffle containers another writer added.
/// </summary>
public static partial class StrategicMergePatch
{
    private static List<JsonNode?> Order(List<JsonNode?> merged, IReadOnlyList<JsonNode?> order, IReadOnlyList<JsonNode?> live, string? mergeKey)
    {
        var named = new List<(JsonNode? Item, int Position)>();
        var serverOnly = new List<JsonNode?>();
        foreach (JsonNode? item in merged)
        {
            int position = IndexOf(order, Identity(item, mergeKey), mergeKey);
            if (position >= 0)
            {
                named.Add((item, position));
            }
            else
            {
                serverOnly.Add(item);
            }
        }

        // OrderBy is stable, so duplicates keep the merged order.
        List<JsonNode?> patchItems = [.. named.OrderBy(n => n.Position).Select(n => n.Item)];

        // serverOnly is already in live order: merging never moves a live element.
        var result = new List<JsonNode?>(merged.Count);
        int left = 0;
        int right = 0;
        while (left < serverOnly.Count || right < patchItems.Count)
        {
            if (right >= patchItems.Count || (left < serverOnly.Count && LiveBefore(serverOnly[left], patchItems[right], live, mergeKey)))
            {
                result.Add(serverOnly[left++]);
            }
            else
            {
                result.Add(patchItems[right++]);
            }
        }

        return result;
    }

    /// <summary>A server-only element goes first only when the live list shows it before the patch element.</summary>
    private static bool LiveBefore(JsonNode? serverOnlyItem, JsonNode? patchItem, IReadOnlyList<JsonNode?> live, string? mergeKey)
    {
        int l = IndexOf(live, Identity(serverOnlyItem, mergeKey), mergeKey);
        int r = IndexOf(live, Identity(patchItem, mergeKey), mergeKey);
        return l >= 0 && r >= 0 && l < r;
    }

    private static int IndexOf(IReadOnlyList<JsonNode?> list, JsonNode? identity, string? mergeKey)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (JsonNode.DeepEquals(Identity(list[i], mergeKey), identity))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>What makes an element itself: its merge key's value in a keyed list, the value in a primitive list.</summary>
    private static JsonNode? Identity(JsonNode? item, string? mergeKey) =>
        mergeKey is not null && item is JsonObject element
            ? element.TryGetPropertyValue(mergeKey, out JsonNode? key) ? key : element
            : item;
}
