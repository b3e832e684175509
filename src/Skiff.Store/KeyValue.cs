namespace Skiff.Store;

/// <summary>One key's value as of one revision.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The bytes stored (empty in a delete event).</param>
/// <param name="CreateRevision">The revision that created the key.</param>
/// <param name="ModRevision">The revision of the last change to the key.</param>
public sealed record KeyValue(string Key, ReadOnlyMemory<byte> Value, long CreateRevision, long ModRevision);
