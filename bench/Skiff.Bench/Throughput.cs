namespace Skiff.Bench;

/// <summary>What one load phase achieved: completed operations over wall time, and the latency of each operation.</summary>
internal sealed record Throughput(long Operations, TimeSpan Elapsed, Latency Latency)
{
    public double PerSecond => Elapsed > TimeSpan.Zero ? Operations / Elapsed.TotalSeconds : 0;
}
