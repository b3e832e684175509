namespace Skiff.Bench.Store;

/// <summary>Read latencies on the same keys before and after a long history of updates to them.</summary>
internal sealed record HistoryFigures(int Keys, Throughput Updates, Throughput GetBefore, Throughput GetAfter, Throughput ListBefore, Throughput ListAfter)
{
    public double GetRatio => GetAfter.Latency.Milliseconds(50) / GetBefore.Latency.Milliseconds(50);

    public double ListRatio => ListAfter.Latency.Milliseconds(50) / ListBefore.Latency.Milliseconds(50);
}
