using System.Text.Json.Nodes;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Protobuf;

// Placeholder until the protobuf decoder lands from its branch; replaced wholesale.
public static class KubernetesProtobuf
{
    public static JsonObject Decode(ReadOnlySpan<byte> body) =>
        throw ApiErrors.UnsupportedMediaType("application/vnd.kubernetes.protobuf");
}
