using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Patching;

/// <summary>Reads a PATCH request body, so a body that is not JSON is the same 400 for all three patch types.</summary>
public static class PatchBody
{
    /// <summary>Parses <paramref name="body"/> as JSON.</summary>
    /// <exception cref="Skiff.Machinery.Errors.StatusException">400 when the body is empty, not JSON, or the JSON literal null.</exception>
    public static JsonNode Parse(ReadOnlySpan<byte> body)
    {
        try
        {
            return JsonNode.Parse(body) ?? throw PatchErrors.Malformed("the patch body must not be null");
        }
        catch (JsonException e)
        {
            // The reader's message names the line and byte, which helps the user find the typo.
            throw PatchErrors.Malformed($"the patch body is not valid JSON: {e.Message}");
        }
    }
}
