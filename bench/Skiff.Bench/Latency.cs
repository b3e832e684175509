using System.Diagnostics;

namespace Skiff.Bench;

/// <summary>
/// Operation latencies in <see cref="Stopwatch"/> ticks, with nearest-rank percentiles. Not thread-safe: each worker keeps its
/// own and the phase merges them afterwards, so recording never contends.
/// </summary>
internal sealed class Latency
{
    private readonly List<long> _ticks = [];
    private bool _sorted = true;

    public int Count => _ticks.Count;

    public static Latency Merge(IEnumerable<Latency> parts)
    {
        var merged = new Latency();
        foreach (Latency part in parts)
        {
            merged._ticks.AddRange(part._ticks);
        }

        merged._sorted = false;
        return merged;
    }

    /// <summary>Records the time from <paramref name="startTimestamp"/> (a <see cref="Stopwatch.GetTimestamp"/>) until now.</summary>
    public void RecordSince(long startTimestamp) => Record(Stopwatch.GetTimestamp() - startTimestamp);

    public void Record(long elapsedTicks)
    {
        _ticks.Add(elapsedTicks);
        _sorted = false;
    }

    /// <summary>The latency at <paramref name="percentile"/> (0–100) in milliseconds, or NaN when nothing was recorded.</summary>
    public double Milliseconds(double percentile)
    {
        if (_ticks.Count == 0)
        {
            return double.NaN;
        }

        if (!_sorted)
        {
            _ticks.Sort();
            _sorted = true;
        }

        int rank = (int)Math.Ceiling(percentile / 100 * _ticks.Count);
        long ticks = _ticks[Math.Clamp(rank - 1, 0, _ticks.Count - 1)];
        return ticks * 1000.0 / Stopwatch.Frequency;
    }
}
