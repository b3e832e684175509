using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Patching;

internal static class JsonNodeExtensions
{
    /// <summary>A parentless copy, because a JsonNode can live in only one tree; JSON null stays null.</summary>
    public static JsonNode? DeepCloneOrNull(this JsonNode? node) => node?.DeepClone();
}
