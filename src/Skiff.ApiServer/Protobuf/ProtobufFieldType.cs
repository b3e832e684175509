namespace Skiff.ApiServer.Protobuf;

/// <summary>What a field (or a map value) holds on the wire.</summary>
internal enum ProtobufFieldType
{
    String,
    Bytes,
    Bool,
    Int32,
    Int64,
    UInt32,
    UInt64,
    SInt32,
    SInt64,
    Fixed32,
    Fixed64,
    SFixed32,
    SFixed64,
    Double,
    Float,
    Message,
    Map,
}
