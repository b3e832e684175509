using System.Text;
using System.Text.Json.Nodes;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Protobuf;

/// <summary>
/// Decodes <c>application/vnd.kubernetes.protobuf</c> request bodies (the "k8s\0" magic, then a runtime.Unknown
/// envelope) into the JSON object the same request would have carried as JSON. kubectl sends these for
/// <c>create &lt;generator&gt;</c>, <c>create token</c>, <c>auth can-i</c>, <c>auth whoami</c> and <c>autoscale</c>
/// and never retries with JSON.
/// </summary>
public static class KubernetesProtobuf
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    private static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    /// <summary>
    /// Returns the object with <c>apiVersion</c> and <c>kind</c> from the envelope and the fields Kubernetes JSON would
    /// have. Throws a 400 <see cref="StatusException"/> for a malformed body and a 415 for a kind or encoding this
    /// decoder has no schema for.
    /// </summary>
    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        if (!body.StartsWith(Magic))
        {
            throw ProtobufReader.Malformed("it does not start with the Kubernetes protobuf prefix \"k8s\\0\"");
        }

        string apiVersion = string.Empty;
        string kind = string.Empty;
        string contentEncoding = string.Empty;
        ReadOnlySpan<byte> raw = [];
        var reader = new ProtobufReader(body[Magic.Length..]);
        while (!reader.AtEnd)
        {
            var (number, wireType) = reader.ReadTag();
            if (wireType != WireType.LengthDelimited)
            {
                reader.Skip(wireType);
                continue;
            }

            ReadOnlySpan<byte> value = reader.ReadLengthDelimited();
            switch (number)
            {
                case 1:
                    (apiVersion, kind) = ReadTypeMeta(value);
                    break;
                case 2:
                    raw = value;
                    break;
                case 3:
                    contentEncoding = Encoding.UTF8.GetString(value);
                    break;
                default:
                    break;
            }
        }

        if (kind.Length == 0)
        {
            throw ProtobufReader.Malformed("the runtime.Unknown envelope names no kind");
        }

        if (contentEncoding.Length != 0)
        {
            throw Unsupported($"content encoding \"{contentEncoding}\" of {apiVersion}, Kind={kind} is not supported");
        }

        ProtobufSchema schema = ProtobufSchema.Kubernetes;
        if (!schema.Kinds.TryGetValue(ProtobufSchema.KindKey(apiVersion, kind), out string? messageName))
        {
            throw Unsupported($"protobuf is not supported for {apiVersion}, Kind={kind}; send it as application/json");
        }

        var result = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
        if (new ProtobufMessageDecoder(schema).DecodeMessage(raw, messageName, 0) is JsonObject decoded)
        {
            foreach (string name in decoded.Select(p => p.Key).ToList())
            {
                JsonNode? child = decoded[name];
                decoded.Remove(name);
                result[name] = child;
            }
        }

        return result;
    }

    private static (string ApiVersion, string Kind) ReadTypeMeta(ReadOnlySpan<byte> data)
    {
        string apiVersion = string.Empty;
        string kind = string.Empty;
        var reader = new ProtobufReader(data);
        while (!reader.AtEnd)
        {
            var (number, wireType) = reader.ReadTag();
            if (wireType == WireType.LengthDelimited && number is 1 or 2)
            {
                string value = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
                if (number == 1)
                {
                    apiVersion = value;
                }
                else
                {
                    kind = value;
                }
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return (apiVersion, kind);
    }

    private static StatusException Unsupported(string message) => new(415, "UnsupportedMediaType", message);
}
