using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Protobuf;

/// <summary>
/// The apimachinery types whose JSON form differs from their protobuf message: they marshal to strings, numbers or
/// embedded JSON rather than to objects.
/// </summary>
internal static class WellKnownTypes
{
    private const string Meta = "k8s.io.apimachinery.pkg.apis.meta.v1.";

    /// <summary>Go's zero time.Time (0001-01-01T00:00:00Z) as Unix seconds.</summary>
    private const long GoZeroTimeSeconds = -62135596800;

    public static bool TryDecode(string messageName, ReadOnlySpan<byte> data, out JsonNode? node)
    {
        switch (messageName)
        {
            case Meta + "Time":
                node = DecodeTime(data, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'");
                return true;
            case Meta + "MicroTime":
                node = DecodeTime(data, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'");
                return true;
            case Meta + "Duration":
                node = JsonValue.Create(GoDuration.Format(ReadInt64(data, 1)));
                return true;
            case Meta + "FieldsV1":
            case "k8s.io.apimachinery.pkg.runtime.RawExtension":
                node = ParseEmbeddedJson(ReadBytes(data, 1), messageName);
                return true;
            case "k8s.io.apimachinery.pkg.api.resource.Quantity":
                {
                    // A zero Quantity marshals as "0" in Go.
                    string value = Encoding.UTF8.GetString(ReadBytes(data, 1));
                    node = JsonValue.Create(value.Length == 0 ? "0" : value);
                    return true;
                }

            case "k8s.io.apimachinery.pkg.util.intstr.IntOrString":
                node = ReadInt64(data, 1) == 1
                    ? JsonValue.Create(Encoding.UTF8.GetString(ReadBytes(data, 3)))
                    : JsonValue.Create((int)ReadInt64(data, 2));
                return true;
            default:
                node = null;
                return false;
        }
    }

    private static JsonValue? DecodeTime(ReadOnlySpan<byte> data, string format)
    {
        // metav1.Time writes nothing for the zero time, and Go's JSON for the zero time is null.
        long seconds = ReadInt64(data, 1);
        int nanos = (int)ReadInt64(data, 2);
        if ((data.IsEmpty || seconds == GoZeroTimeSeconds) && nanos == 0)
        {
            return null;
        }

        if (seconds < GoZeroTimeSeconds || seconds > 253402300799 || nanos is < 0 or > 999_999_999)
        {
            throw ProtobufReader.Malformed($"timestamp {seconds}s {nanos}ns is out of range");
        }

        DateTime time = DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(nanos / 100);
        return JsonValue.Create(time.ToString(format, CultureInfo.InvariantCulture));
    }

    private static JsonNode? ParseEmbeddedJson(ReadOnlySpan<byte> raw, string messageName)
    {
        if (raw.IsEmpty)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(raw);
        }
        catch (JsonException e)
        {
            throw ProtobufReader.Malformed($"{messageName} does not hold JSON: {e.Message}");
        }
    }

    /// <summary>The last varint value of the field (protobuf's last-one-wins), or 0.</summary>
    private static long ReadInt64(ReadOnlySpan<byte> data, int fieldNumber)
    {
        long result = 0;
        var reader = new ProtobufReader(data);
        while (!reader.AtEnd)
        {
            var (number, wireType) = reader.ReadTag();
            if (number == fieldNumber && wireType == WireType.Varint)
            {
                result = (long)reader.ReadVarint();
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return result;
    }

    private static ReadOnlySpan<byte> ReadBytes(ReadOnlySpan<byte> data, int fieldNumber)
    {
        ReadOnlySpan<byte> result = [];
        var reader = new ProtobufReader(data);
        while (!reader.AtEnd)
        {
            var (number, wireType) = reader.ReadTag();
            if (number == fieldNumber && wireType == WireType.LengthDelimited)
            {
                result = reader.ReadLengthDelimited();
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return result;
    }
}
