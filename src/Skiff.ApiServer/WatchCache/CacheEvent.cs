using Skiff.Store;

namespace Skiff.ApiServer.WatchCache;

/// <summary>A change to one cached object. For a delete, <see cref="Object"/> is the last state with the delete's revision.</summary>
internal sealed record CacheEvent(WatchEventType Type, CachedObject Object, CachedObject? Previous)
{
    public long Revision => Object.Revision;
}
