namespace Skiff.Bench.Api;

/// <summary>What the vcluster-style profile measured: all requests, the mutating ones, and each kind; errors are non-2xx answers.</summary>
internal sealed record MixedFigures(
    int Requests,
    TimeSpan Elapsed,
    double MeanMilliseconds,
    Latency All,
    Latency Mutating,
    IReadOnlyDictionary<MixedOperation, Latency> ByOperation,
    int Errors,
    TimeSpan MaxArrivalLag,
    SlowWindow Slow)
{
    public double PerSecond => Requests / Elapsed.TotalSeconds;
}
