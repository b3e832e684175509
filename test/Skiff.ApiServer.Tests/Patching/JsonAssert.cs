using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Tests.Patching;

/// <summary>Compares JSON by value (object member order ignored, array order kept) and prints both sides on failure.</summary>
internal static class JsonAssert
{
    public static JsonNode Parse(string json) => JsonNode.Parse(json) ?? throw new ArgumentException("JSON null is not a test document.", nameof(json));

    public static void Equal(string expectedJson, JsonNode? actual)
    {
        JsonNode? expected = JsonNode.Parse(expectedJson);
        if (!JsonNode.DeepEquals(expected, actual))
        {
            Assert.Fail($"Expected {expected?.ToJsonString() ?? "null"}\nActual   {actual?.ToJsonString() ?? "null"}");
        }
    }
}
