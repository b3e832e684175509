using System.Text;
using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Protobuf;

/// <summary>Reads scalar protobuf values as JSON values (bytes become base64, 64-bit integers stay numbers).</summary>
internal static class ScalarCodec
{
    public static bool IsPackable(ProtobufFieldType type) => type is not (ProtobufFieldType.String or ProtobufFieldType.Bytes or ProtobufFieldType.Message or ProtobufFieldType.Map);

    public static WireType WireTypeOf(ProtobufFieldType type) => type switch
    {
        ProtobufFieldType.String or ProtobufFieldType.Bytes or ProtobufFieldType.Message or ProtobufFieldType.Map => WireType.LengthDelimited,
        ProtobufFieldType.Double or ProtobufFieldType.Fixed64 or ProtobufFieldType.SFixed64 => WireType.Fixed64,
        ProtobufFieldType.Float or ProtobufFieldType.Fixed32 or ProtobufFieldType.SFixed32 => WireType.Fixed32,
        _ => WireType.Varint,
    };

    public static JsonNode Zero(ProtobufFieldType type) => type switch
    {
        ProtobufFieldType.String or ProtobufFieldType.Bytes => JsonValue.Create(string.Empty),
        ProtobufFieldType.Bool => JsonValue.Create(false),
        ProtobufFieldType.Double or ProtobufFieldType.Float => JsonValue.Create(0.0),
        _ => JsonValue.Create(0L),
    };

    public static (JsonNode Value, bool IsZero) Read(ref ProtobufReader reader, WireType wireType, ProtobufFieldType type, string fieldName)
    {
        WireType expected = WireTypeOf(type);
        if (wireType != expected)
        {
            throw ProtobufReader.Malformed($"field {fieldName} has wire type {(int)wireType}, expected {(int)expected} for {type}");
        }

        switch (type)
        {
            case ProtobufFieldType.String:
                {
                    ReadOnlySpan<byte> bytes = reader.ReadLengthDelimited();
                    return (JsonValue.Create(Encoding.UTF8.GetString(bytes)), bytes.IsEmpty);
                }

            case ProtobufFieldType.Bytes:
                {
                    ReadOnlySpan<byte> bytes = reader.ReadLengthDelimited();
                    return (JsonValue.Create(Convert.ToBase64String(bytes)), bytes.IsEmpty);
                }

            case ProtobufFieldType.Bool:
                {
                    bool value = reader.ReadVarint() != 0;
                    return (JsonValue.Create(value), !value);
                }

            case ProtobufFieldType.Double:
                {
                    double value = BitConverter.Int64BitsToDouble((long)reader.ReadFixed64());
                    return (JsonValue.Create(value), value == 0);
                }

            case ProtobufFieldType.Float:
                {
                    float value = BitConverter.Int32BitsToSingle((int)reader.ReadFixed32());
                    return (JsonValue.Create((double)value), value == 0);
                }

            default:
                return ReadInteger(ref reader, type);
        }
    }

    private static (JsonNode Value, bool IsZero) ReadInteger(ref ProtobufReader reader, ProtobufFieldType type)
    {
        long value = type switch
        {
            // int32 is sign-extended to 64 bits on the wire; the cast keeps the low 32 bits as Go does.
            ProtobufFieldType.Int32 => (int)reader.ReadVarint(),
            ProtobufFieldType.Int64 => (long)reader.ReadVarint(),
            ProtobufFieldType.UInt32 => (uint)reader.ReadVarint(),
            ProtobufFieldType.SInt32 => (int)ZigZag(reader.ReadVarint()),
            ProtobufFieldType.SInt64 => ZigZag(reader.ReadVarint()),
            ProtobufFieldType.Fixed32 => reader.ReadFixed32(),
            ProtobufFieldType.SFixed32 => (int)reader.ReadFixed32(),
            ProtobufFieldType.SFixed64 => (long)reader.ReadFixed64(),
            ProtobufFieldType.UInt64 => 0,
            ProtobufFieldType.Fixed64 => 0,
            _ => throw new InvalidOperationException("Not an integer type: " + type),
        };

        if (type is ProtobufFieldType.UInt64 or ProtobufFieldType.Fixed64)
        {
            ulong unsigned = type == ProtobufFieldType.UInt64 ? reader.ReadVarint() : reader.ReadFixed64();
            return (JsonValue.Create(unsigned), unsigned == 0);
        }

        // 32-bit fields become 32-bit JSON values, so callers can read them back as int without a conversion error.
        JsonValue node = type switch
        {
            ProtobufFieldType.Int32 or ProtobufFieldType.SInt32 or ProtobufFieldType.SFixed32 => JsonValue.Create((int)value),
            ProtobufFieldType.UInt32 or ProtobufFieldType.Fixed32 => JsonValue.Create((uint)value),
            _ => JsonValue.Create(value),
        };
        return (node, value == 0);
    }

    private static long ZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
}
