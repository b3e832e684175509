using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Patching;

/// <summary>
/// RFC 6902 JSON Patch (<c>application/json-patch+json</c>, what <c>kubectl rollout undo</c> and <c>kubectl patch --type=json</c> send).
/// </summary>
public static class JsonPatch
{
    /// <summary>
    /// Applies <paramref name="patch"/> (an array of operations) to a copy of <paramref name="original"/>; the inputs are not changed.
    /// Operations apply in order and all-or-nothing: the first one that fails fails the patch.
    /// </summary>
    /// <returns>The patched document (null only when an operation replaced the whole document with null).</returns>
    /// <exception cref="Skiff.Machinery.Errors.StatusException">400 when the patch is malformed; 422 when an operation does not apply.</exception>
    public static JsonNode? Apply(JsonNode? original, JsonNode patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        if (patch is not JsonArray operations)
        {
            throw PatchErrors.Malformed("a JSON patch must be an array of operations");
        }

        JsonNode? document = original?.DeepClone();
        for (int i = 0; i < operations.Count; i++)
        {
            JsonPatchOperation operation = JsonPatchOperation.Parse(operations[i], i);
            document = operation.ApplyTo(document);
        }

        return document;
    }
}
