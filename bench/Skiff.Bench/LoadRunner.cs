using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Skiff.Bench;

/// <summary>Runs an operation from N concurrent workers, each waiting for its previous operation, until the phase limit.</summary>
internal static class LoadRunner
{
    /// <param name="workers">How many operations are in flight at once.</param>
    /// <param name="limit">When to stop issuing operations.</param>
    /// <param name="operation">Called with the worker index and that worker's sequence number (0, 1, …).</param>
    /// <param name="cancellationToken">Stops the phase early.</param>
    public static async Task<Throughput> RunAsync(
        int workers,
        PhaseLimit limit,
        Func<int, long, CancellationToken, Task> operation,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limit);
        ArgumentNullException.ThrowIfNull(operation);
        var issued = new StrongBox<long>();
        var latencies = new Latency[workers];
        long started = Stopwatch.GetTimestamp();
        long deadline = started + (long)(limit.Duration.TotalSeconds * Stopwatch.Frequency);

        async Task WorkAsync(int worker)
        {
            var latency = new Latency();
            latencies[worker] = latency;
            for (long sequence = 0; Stopwatch.GetTimestamp() < deadline && Interlocked.Increment(ref issued.Value) <= limit.MaxOperations; sequence++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                long start = Stopwatch.GetTimestamp();
                await operation(worker, sequence, cancellationToken);
                latency.RecordSince(start);
            }
        }

        // Task.Run so that synchronous completions of one worker cannot serialise the others.
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkAsync(w), cancellationToken)));
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        Latency merged = Latency.Merge(latencies);
        return new Throughput(merged.Count, elapsed, merged);
    }
}
