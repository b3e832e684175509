using System.Collections.Frozen;

namespace Skiff.ApiServer.Protobuf;

/// <summary>
/// A message of the schema table. A wrapper is a Go slice type (<c>type ExtraValue []string</c>) that protobuf wraps in
/// <c>{ repeated string items = 1; }</c> but JSON writes as a bare array.
/// </summary>
internal sealed record ProtobufMessage(string Name, bool Wrapper, FrozenDictionary<int, ProtobufField> Fields);
