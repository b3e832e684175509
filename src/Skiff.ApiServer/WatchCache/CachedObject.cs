namespace Skiff.ApiServer.WatchCache;

/// <summary>
/// One object as the cache keeps it: the JSON sent to clients (resourceVersion already set) and the few fields selectors need.
/// Immutable, so readers never see half of an update.
/// </summary>
internal sealed record CachedObject(
    string Key,
    string? Namespace,
    string Name,
    long Revision,
    byte[] Json,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Fields);
