using System.Collections.Frozen;
using System.Globalization;
using System.Reflection;

namespace Skiff.ApiServer.Protobuf;

/// <summary>
/// The message table generated from upstream's generated.proto and types.go (see README.md), loaded once from the
/// embedded KubernetesProtobufSchema.txt into frozen, immutable dictionaries.
/// </summary>
internal sealed class ProtobufSchema
{
    private const string ResourceName = "Skiff.ApiServer.Protobuf.KubernetesProtobufSchema.txt";

    private static readonly FrozenDictionary<string, ProtobufFieldType> s_scalars = new Dictionary<string, ProtobufFieldType>(StringComparer.Ordinal)
    {
        ["string"] = ProtobufFieldType.String,
        ["bytes"] = ProtobufFieldType.Bytes,
        ["bool"] = ProtobufFieldType.Bool,
        ["int32"] = ProtobufFieldType.Int32,
        ["int64"] = ProtobufFieldType.Int64,
        ["uint32"] = ProtobufFieldType.UInt32,
        ["uint64"] = ProtobufFieldType.UInt64,
        ["sint32"] = ProtobufFieldType.SInt32,
        ["sint64"] = ProtobufFieldType.SInt64,
        ["fixed32"] = ProtobufFieldType.Fixed32,
        ["fixed64"] = ProtobufFieldType.Fixed64,
        ["sfixed32"] = ProtobufFieldType.SFixed32,
        ["sfixed64"] = ProtobufFieldType.SFixed64,
        ["double"] = ProtobufFieldType.Double,
        ["float"] = ProtobufFieldType.Float,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The table shipped with this assembly.</summary>
    public static readonly ProtobufSchema Kubernetes = LoadEmbedded();

    private ProtobufSchema(FrozenDictionary<string, ProtobufMessage> messages, FrozenDictionary<string, string> kinds)
    {
        Messages = messages;
        Kinds = kinds;
    }

    public FrozenDictionary<string, ProtobufMessage> Messages { get; }

    /// <summary>"apiVersion/Kind" (e.g. "apps/v1/Deployment", "v1/Secret") to the message name.</summary>
    public FrozenDictionary<string, string> Kinds { get; }

    public static string KindKey(string apiVersion, string kind) => apiVersion + "/" + kind;

    public static ProtobufSchema Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var messages = new Dictionary<string, ProtobufMessage>(StringComparer.Ordinal);
        var kinds = new Dictionary<string, string>(StringComparer.Ordinal);
        string? current = null;
        bool wrapper = false;
        var fields = new Dictionary<int, ProtobufField>();

        void Flush()
        {
            if (current is not null)
            {
                messages[current] = new ProtobufMessage(current, wrapper, fields.ToFrozenDictionary());
            }

            fields = [];
        }

        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (line[0] == ' ')
            {
                var field = ParseField(parts, line);
                fields[field.Number] = field;
            }
            else if (parts[0] == "kind" && parts.Length == 4)
            {
                kinds[KindKey(parts[1], parts[2])] = parts[3];
            }
            else if (parts[0] == "message" && parts.Length is 2 or 3)
            {
                Flush();
                current = parts[1];
                wrapper = parts.Length == 3 && parts[2] == "wrapper";
            }
            else
            {
                throw new InvalidDataException("Unrecognised schema line: " + line);
            }
        }

        Flush();
        return new ProtobufSchema(messages.ToFrozenDictionary(StringComparer.Ordinal), kinds.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private static ProtobufField ParseField(string[] parts, string line)
    {
        if (parts.Length != 4)
        {
            throw new InvalidDataException("Unrecognised schema field: " + line);
        }

        int number = int.Parse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture);
        string flags = parts[3];
        string type = parts[2];
        ProtobufFieldType fieldType;
        ProtobufFieldType mapValue = ProtobufFieldType.String;
        string? messageName = null;
        if (type.StartsWith("map<", StringComparison.Ordinal))
        {
            // Every Kubernetes map is keyed by string: map<string,VALUE>.
            string value = type["map<string,".Length..^1];
            fieldType = ProtobufFieldType.Map;
            (mapValue, messageName) = s_scalars.TryGetValue(value, out var scalar) ? (scalar, null) : (ProtobufFieldType.Message, value);
        }
        else
        {
            (fieldType, messageName) = s_scalars.TryGetValue(type, out var scalar) ? (scalar, null) : (ProtobufFieldType.Message, type);
        }

        return new ProtobufField(number, parts[1], fieldType, messageName, mapValue, flags.Contains('r', StringComparison.Ordinal), flags.Contains('o', StringComparison.Ordinal), flags.Contains('i', StringComparison.Ordinal));
    }

    private static ProtobufSchema LoadEmbedded()
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException("The embedded resource " + ResourceName + " is missing.");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }
}
