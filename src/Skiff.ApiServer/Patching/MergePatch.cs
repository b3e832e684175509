using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Patching;

/// <summary>
/// RFC 7386 JSON Merge Patch (<c>application/merge-patch+json</c>, what <c>kubectl label</c>, <c>annotate</c> and <c>scale</c> send):
/// null deletes a member, objects merge member by member, and anything else (lists included) replaces.
/// </summary>
public static class MergePatch
{
    /// <summary>Applies <paramref name="patch"/> to a copy of <paramref name="original"/>; the inputs are not changed.</summary>
    public static JsonNode Apply(JsonNode? original, JsonNode patch)
    {
        ArgumentNullException.ThrowIfNull(patch);

        // Merge mutates its target, so it gets a private copy; a non-null patch always yields a non-null result.
        return Merge(original?.DeepClone(), patch)!;
    }

    private static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch.DeepCloneOrNull();
        }

        JsonObject result = target as JsonObject ?? new JsonObject();
        foreach ((string name, JsonNode? value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
                continue;
            }

            result.TryGetPropertyValue(name, out JsonNode? current);
            JsonNode? merged = Merge(current, value);

            // An object merged in place is still the child; re-assigning a node that already has a parent would throw.
            if (!ReferenceEquals(merged, current))
            {
                result[name] = merged;
            }
        }

        return result;
    }
}
