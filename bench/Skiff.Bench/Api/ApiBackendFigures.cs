namespace Skiff.Bench.Api;

/// <summary>Everything measured against one server (one storage backend).</summary>
internal sealed record ApiBackendFigures
{
    public required string Name { get; init; }

    public required TimeSpan StartTime { get; init; }

    public required Throughput Creates { get; init; }

    public required int CreateErrors { get; init; }

    public required Throughput GetSerial { get; init; }

    public required Throughput GetConcurrent { get; init; }

    public required long GetBytes { get; init; }

    public required Throughput PodSeed { get; init; }

    public required Throughput List { get; init; }

    public required long ListBytes { get; init; }

    public required int ListedPods { get; init; }

    public required long PodJsonBytes { get; init; }

    public required long RssEmpty { get; init; }

    public required long RssPods { get; init; }

    public required long RssEnd { get; init; }

    /// <summary>The server's own accounting of its pod cache entries (skiff_watch_cache_bytes{resource="pods"}).</summary>
    public required long CacheBytes { get; init; }

    /// <summary>The pod JSON the cache holds (skiff_watch_cache_json_bytes{resource="pods"}).</summary>
    public required long CacheJsonBytes { get; init; }

    /// <summary>Cache memory per byte of JSON it holds, by the server's own accounting.</summary>
    public double CachePerJsonByte => CacheJsonBytes > 0 ? (double)CacheBytes / CacheJsonBytes : double.NaN;

    public required Throughput SecretSeed { get; init; }

    public required MixedFigures Mixed { get; init; }

    public required WatchFanoutFigures Watch { get; init; }

    /// <summary>Server memory growth per byte of stored pod JSON: (RSS with the pods − RSS before) / their JSON bytes.</summary>
    public double MemoryPerJsonByte => PodJsonBytes > 0 ? (double)(RssPods - RssEmpty) / PodJsonBytes : double.NaN;
}
