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

    public required Throughput SecretSeed { get; init; }

    public required MixedFigures Mixed { get; init; }

    public required WatchFanoutFigures Watch { get; init; }

    /// <summary>Server memory growth per byte of stored pod JSON: (RSS with the pods − RSS before) / their JSON bytes.</summary>
    public double MemoryPerJsonByte => PodJsonBytes > 0 ? (double)(RssPods - RssEmpty) / PodJsonBytes : double.NaN;
}
