namespace Skiff.Bench.Pods;

/// <summary>What one <c>pods</c> run measured.</summary>
internal sealed record PodsFigures
{
    public required Latency SkiffSequential { get; init; }

    public required Latency RawSequential { get; init; }

    public required Latency SkiffBatch { get; init; }

    public required Latency RawBatch { get; init; }

    /// <summary>The idle <c>skiff agent</c>'s VmRSS and private (anonymous + shmem) resident bytes; null when no agent became Ready.</summary>
    public (long Rss, long Private)? AgentRss { get; init; }
}
