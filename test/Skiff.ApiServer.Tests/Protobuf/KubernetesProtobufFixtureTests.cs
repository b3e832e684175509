using System.Text.Json.Nodes;
using Skiff.ApiServer.Protobuf;

namespace Skiff.ApiServer.Tests.Protobuf;

/// <summary>
/// Real kubectl 1.32 protobuf bodies (Fixtures/*.pb, captured from a recording server) against the JSON the same command
/// prints with --dry-run=client -o json (or, where kubectl has no dry-run, JSON written by hand from what it sends).
/// Normalization: a property whose value is null equals an absent one, because Go writes "creationTimestamp": null
/// for the zero time and protobuf simply carries nothing.
/// </summary>
public sealed class KubernetesProtobufFixtureTests
{
    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.GetFiles(FixtureDirectory, "*.pb").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Decode_KubectlFixture_EqualsKubectlJson(string name)
    {
        byte[] body = File.ReadAllBytes(Path.Combine(FixtureDirectory, name + ".pb"));
        JsonNode? expected = JsonNode.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, name + ".json")));

        JsonObject actual = KubernetesProtobuf.Decode(body);

        JsonNode? normalizedExpected = Normalize(expected);
        JsonNode? normalizedActual = Normalize(actual);
        Assert.True(
            JsonNode.DeepEquals(normalizedExpected, normalizedActual),
            $"expected {normalizedExpected?.ToJsonString()}\nactual   {normalizedActual?.ToJsonString()}");
    }

    [Fact]
    public void Fixtures_CoverEveryKubectlCommand_HaveExpectedJson()
    {
        string[] bodies = Directory.GetFiles(FixtureDirectory, "*.pb");

        Assert.True(bodies.Length >= 30, $"only {bodies.Length} fixtures");
        Assert.All(bodies, b => Assert.True(File.Exists(Path.ChangeExtension(b, ".json")), b));
    }

    private static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "Protobuf", "Fixtures");

    private static JsonNode? Normalize(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj
            .Where(p => p.Value is not null)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Normalize(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Normalize)]),
        null => null,
        _ => node.DeepClone(),
    };
}
