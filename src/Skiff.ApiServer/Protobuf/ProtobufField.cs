namespace Skiff.ApiServer.Protobuf;

/// <summary>
/// One field of a message as the schema table lists it. MessageName names the message for message fields and for
/// map values of message type. OmitZero: the Go field is omitempty and not a pointer, so JSON leaves out a zero value
/// that gogo still writes. Inline: the Go field is embedded with json:",inline", so its properties merge into the parent.
/// </summary>
internal sealed record ProtobufField(
    int Number,
    string JsonName,
    ProtobufFieldType Type,
    string? MessageName,
    ProtobufFieldType MapValueType,
    bool Repeated,
    bool OmitZero,
    bool Inline);
