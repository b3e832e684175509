using System.Text.Json.Nodes;
using Skiff.ApiServer.Protobuf;
using Skiff.Machinery.Errors;
using static Skiff.ApiServer.Tests.Protobuf.ProtoBytes;

namespace Skiff.ApiServer.Tests.Protobuf;

public sealed class KubernetesProtobufTests
{
    [Fact]
    public void Decode_BadMagic_Throws400()
    {
        var e = Assert.Throws<StatusException>(() => KubernetesProtobuf.Decode("{\"kind\":\"Pod\"}"u8));

        Assert.Equal(400, e.Status.Code);
        Assert.Contains("k8s", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_TruncatedBody_Throws400()
    {
        byte[] body = Envelope("v1", "Namespace", Field(1, Text(1, "demo")));

        var e = Assert.Throws<StatusException>(() => KubernetesProtobuf.Decode(body.AsSpan(0, body.Length - 3)));

        Assert.Equal(400, e.Status.Code);
    }

    [Fact]
    public void Decode_LengthBeyondBuffer_Throws400()
    {
        byte[] body = [.. "k8s\0"u8.ToArray(), .. Varint((2 << 3) | 2), .. Varint(int.MaxValue + 10UL), 1, 2, 3];

        var e = Assert.Throws<StatusException>(() => KubernetesProtobuf.Decode(body));

        Assert.Equal(400, e.Status.Code);
        Assert.Contains("exceeds", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_OverlongVarint_Throws400()
    {
        byte[] body = [.. "k8s\0"u8.ToArray(), .. Enumerable.Repeat((byte)0xFF, 11)];

        Assert.Equal(400, Assert.Throws<StatusException>(() => KubernetesProtobuf.Decode(body)).Status.Code);
    }

    [Fact]
    public void Decode_WrongWireTypeForKnownField_Throws400()
    {
        // ObjectMeta.name (1) as a varint instead of a string.
        byte[] body = Envelope("v1", "Namespace", Field(1, VarintField(1, 5)));

        Assert.Equal(400, Assert.Throws<StatusException>(() => KubernetesProtobuf.Decode(body)).Status.Code);
    }

    [Fact]
    public void Decode_NestingBeyondLimit_Throws400()
    {
        // No Kubernetes message in the table recurses, so a self-recursive test schema drives the depth limit.
        byte[] inner = Field(1, Text(1, "x"));
        for (int i = 0; i < 200; i++)
        {
            inner = Field(1, inner);
        }

        var schema = ProtobufSchema.Parse(new StringReader("message t.Node\n 1 child t.Node -\n"));
        var decoder = new ProtobufMessageDecoder(schema);

        var e = Assert.Throws<StatusException>(() => decoder.DecodeMessage(inner, "t.Node", 0));
        Assert.Equal(400, e.Status.Code);
        Assert.Contains("deeper", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_UnknownKind_Throws415NamingTheKind()
    {
        byte[] body = Envelope("example.com/v1", "Widget", []);

        var e = Assert.Throws<StatusException>(() => KubernetesProtobuf.Decode(body));

        Assert.Equal(415, e.Status.Code);
        Assert.Contains("Kind=Widget", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_UnknownFields_AreSkipped()
    {
        byte[] meta = [.. Text(1, "demo"), .. VarintField(999, 7), .. Text(998, "future")];
        byte[] body = Envelope("v1", "Namespace", [.. Field(1, meta), .. VarintField(77, 1)]);

        JsonObject decoded = KubernetesProtobuf.Decode(body);

        Assert.Equal("demo", (string?)decoded["metadata"]?["name"]);
        Assert.Equal("v1", (string?)decoded["apiVersion"]);
        Assert.Equal("Namespace", (string?)decoded["kind"]);
    }

    [Fact]
    public void Decode_SpecialTypes_BecomeTheirJsonForms()
    {
        // ObjectMeta.creationTimestamp (8) = 2026-01-02T03:04:05Z; Deployment spec (2): replicas 0 (pointer, kept),
        // strategy.rollingUpdate.maxSurge (IntOrString string) and maxUnavailable (int).
        byte[] meta = [.. Text(1, "web"), .. Field(8, VarintField(1, 1767323045))];
        byte[] rollingUpdate = [.. Field(1, VarintField(1, 0), VarintField(2, 2)), .. Field(2, VarintField(1, 1), Text(3, "25%"))];
        byte[] spec = [.. VarintField(1, 0), .. Field(4, Text(1, "RollingUpdate"), Field(2, rollingUpdate))];
        byte[] body = Envelope("apps/v1", "Deployment", [.. Field(1, meta), .. Field(2, spec)]);

        JsonObject decoded = KubernetesProtobuf.Decode(body);

        Assert.Equal("2026-01-02T03:04:05Z", (string?)decoded["metadata"]?["creationTimestamp"]);
        Assert.Equal(0, (int?)decoded["spec"]?["replicas"]);
        Assert.Equal(2, (int?)decoded["spec"]?["strategy"]?["rollingUpdate"]?["maxUnavailable"]);
        Assert.Equal("25%", (string?)decoded["spec"]?["strategy"]?["rollingUpdate"]?["maxSurge"]);
    }

    [Fact]
    public void Decode_SecretData_IsBase64()
    {
        byte[] secret = [.. Field(1, Text(1, "s")), .. Field(2, Text(1, "k"), Field(2, [0, 1, 255]))];

        JsonObject decoded = KubernetesProtobuf.Decode(Envelope("v1", "Secret", secret));

        Assert.Equal("AAH/", (string?)decoded["data"]?["k"]);
    }

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(3_600_000_000_000L, "1h0m0s")]
    [InlineData(1_500_000_000L, "1.5s")]
    [InlineData(300_000_000L, "300ms")]
    [InlineData(1_500L, "1.5µs")]
    [InlineData(-90_000_000_000L, "-1m30s")]
    public void GoDurationFormat_MatchesGo(long nanoseconds, string expected) =>
        Assert.Equal(expected, GoDuration.Format(nanoseconds));
}
