namespace Skiff.ApiServer.WatchCache;

/// <summary>
/// One object as the cache keeps it: the JSON sent to clients (resourceVersion already set) and the few fields selectors need.
/// Immutable, so readers never see half of an update.
/// </summary>
internal sealed record CachedObject(
    string Key,
    string? Namespace,
    long Revision,
    byte[] Json,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Fields)
{
    /// <summary>The object's name: the key's last segment (not stored separately, to keep entries small).</summary>
    public string Name => Key[(Key.LastIndexOf('/') + 1)..];

    // Managed sizes on 64-bit .NET: object header + method table (16), array length (8), UTF-16 strings (22 + 2 per char).
    private const int ObjectOverhead = 16;

    /// <summary>
    /// An estimate of what this entry costs in memory: the record, its key and name strings, the JSON array, the two maps'
    /// arrays (pooled strings shared between objects are not counted), and the cache's index node.
    /// </summary>
    public long ApproximateBytes =>
        ObjectOverhead + (6 * 8) // the record
        + StringBytes(Key)
        + ObjectOverhead + 8 + Json.Length
        + MapBytes(Labels, sharedKeys: false) + MapBytes(Fields, sharedKeys: true)
        + 48; // the sorted index's node

    private static long StringBytes(string value) => 22 + (2L * value.Length);

    // A CompactMap is an object with two array references; the field maps share one keys array per resource.
    private static long MapBytes(IReadOnlyDictionary<string, string> map, bool sharedKeys) =>
        map.Count == 0 ? 0 : ObjectOverhead + 16 + ((sharedKeys ? 1 : 2) * (ObjectOverhead + 8 + (8L * map.Count)));
}
