using System.Text;
using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Protobuf;

/// <summary>
/// Turns one protobuf message into the JSON Kubernetes would write for the same Go object, driven by the schema table:
/// field names come from the json tags, inline fields merge into their parent, and special apimachinery types
/// (Time, Quantity, IntOrString, ...) are handled by <see cref="WellKnownTypes"/>.
/// </summary>
internal sealed class ProtobufMessageDecoder
{
    /// <summary>Nesting deeper than any Kubernetes object needs; the bound keeps a hostile body from exhausting the stack.</summary>
    public const int MaxDepth = 100;

    private readonly ProtobufSchema _schema;

    public ProtobufMessageDecoder(ProtobufSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        _schema = schema;
    }

    public JsonNode? DecodeMessage(ReadOnlySpan<byte> data, string messageName, int depth)
    {
        if (depth > MaxDepth)
        {
            throw ProtobufReader.Malformed($"messages nest deeper than {MaxDepth} levels");
        }

        if (WellKnownTypes.TryDecode(messageName, data, out JsonNode? special))
        {
            return special;
        }

        if (!_schema.Messages.TryGetValue(messageName, out ProtobufMessage? message))
        {
            throw new InvalidOperationException("The protobuf schema table has no message " + messageName + ".");
        }

        return message.Wrapper ? DecodeWrapper(data) : DecodeObject(data, message, depth);
    }

    private JsonObject DecodeObject(ReadOnlySpan<byte> data, ProtobufMessage message, int depth)
    {
        var result = new JsonObject();
        var reader = new ProtobufReader(data);
        while (!reader.AtEnd)
        {
            var (number, wireType) = reader.ReadTag();
            if (!message.Fields.TryGetValue(number, out ProtobufField? field))
            {
                reader.Skip(wireType);
                continue;
            }

            switch (field.Type)
            {
                case ProtobufFieldType.Map:
                    ReadMapEntry(ExpectLengthDelimited(ref reader, wireType, field), field, result, depth);
                    break;
                case ProtobufFieldType.Message:
                    ReadMessageField(ExpectLengthDelimited(ref reader, wireType, field), field, result, depth);
                    break;
                default:
                    ReadScalarField(ref reader, wireType, field, result);
                    break;
            }
        }

        return result;
    }

    private static JsonArray DecodeWrapper(ReadOnlySpan<byte> data)
    {
        var items = new JsonArray();
        var reader = new ProtobufReader(data);
        while (!reader.AtEnd)
        {
            var (number, wireType) = reader.ReadTag();
            if (number == 1 && wireType == WireType.LengthDelimited)
            {
                items.Add(JsonValue.Create(Encoding.UTF8.GetString(reader.ReadLengthDelimited())));
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return items;
    }

    private void ReadMessageField(ReadOnlySpan<byte> data, ProtobufField field, JsonObject parent, int depth)
    {
        // MessageName is always set for message fields (ProtobufSchema.ParseField).
        JsonNode? value = DecodeMessage(data, field.MessageName!, depth + 1);
        if (field.Inline && value is JsonObject inlined)
        {
            foreach (string name in inlined.Select(p => p.Key).ToList())
            {
                JsonNode? child = inlined[name];
                inlined.Remove(name);
                parent[name] = child;
            }
        }
        else if (field.Repeated)
        {
            GetArray(parent, field.JsonName).Add(value);
        }
        else
        {
            parent[field.JsonName] = value;
        }
    }

    private void ReadMapEntry(ReadOnlySpan<byte> entry, ProtobufField field, JsonObject parent, int depth)
    {
        string key = string.Empty;
        JsonNode? value = null;
        bool hasValue = false;
        var reader = new ProtobufReader(entry);
        while (!reader.AtEnd)
        {
            var (number, wireType) = reader.ReadTag();
            if (number == 1)
            {
                key = Encoding.UTF8.GetString(ExpectLengthDelimited(ref reader, wireType, field));
            }
            else if (number == 2)
            {
                hasValue = true;
                value = field.MapValueType == ProtobufFieldType.Message
                    ? DecodeMessage(ExpectLengthDelimited(ref reader, wireType, field), field.MessageName!, depth + 1)
                    : ScalarCodec.Read(ref reader, wireType, field.MapValueType, field.JsonName).Value;
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        if (!hasValue)
        {
            // An absent value is the zero value, as in Go.
            value = field.MapValueType == ProtobufFieldType.Message
                ? DecodeMessage([], field.MessageName!, depth + 1)
                : ScalarCodec.Zero(field.MapValueType);
        }

        if (parent[field.JsonName] is not JsonObject map)
        {
            map = [];
            parent[field.JsonName] = map;
        }

        map[key] = value;
    }

    private static void ReadScalarField(ref ProtobufReader reader, WireType wireType, ProtobufField field, JsonObject parent)
    {
        if (field.Repeated)
        {
            JsonArray array = GetArray(parent, field.JsonName);
            if (wireType == WireType.LengthDelimited && ScalarCodec.IsPackable(field.Type))
            {
                var packed = new ProtobufReader(reader.ReadLengthDelimited());
                WireType elementWire = ScalarCodec.WireTypeOf(field.Type);
                while (!packed.AtEnd)
                {
                    array.Add(ScalarCodec.Read(ref packed, elementWire, field.Type, field.JsonName).Value);
                }
            }
            else
            {
                array.Add(ScalarCodec.Read(ref reader, wireType, field.Type, field.JsonName).Value);
            }

            return;
        }

        var (value, isZero) = ScalarCodec.Read(ref reader, wireType, field.Type, field.JsonName);
        if (isZero && field.OmitZero)
        {
            // gogo writes every non-pointer scalar; Go's JSON drops the zero ones marked omitempty.
            parent.Remove(field.JsonName);
            return;
        }

        parent[field.JsonName] = value;
    }

    private static ReadOnlySpan<byte> ExpectLengthDelimited(ref ProtobufReader reader, WireType wireType, ProtobufField field)
    {
        if (wireType != WireType.LengthDelimited)
        {
            throw ProtobufReader.Malformed($"field {field.JsonName} ({field.Number}) has wire type {(int)wireType}, expected length-delimited");
        }

        return reader.ReadLengthDelimited();
    }

    private static JsonArray GetArray(JsonObject parent, string name)
    {
        if (parent[name] is JsonArray array)
        {
            return array;
        }

        array = [];
        parent[name] = array;
        return array;
    }
}
