using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.WatchCache;

/// <summary>What one resource's bucket holds now: its objects and attached watchers (for the metrics endpoint).</summary>
internal sealed record WatchCacheStatistics(ResourceInfo Resource, int Objects, int Watchers, long JsonBytes, long ApproximateBytes);
