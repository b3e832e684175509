using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Skiff.Store;

namespace Skiff.Bench.Store;

/// <summary>
/// Many watchers on one prefix while a single writer creates keys at a steady rate; each value starts with the Stopwatch
/// timestamp taken just before its write, so every watcher can tell how long the event took to reach it.
/// </summary>
internal static class WatchLoad
{
    private const string ReadyKey = "ready";
    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(30);

    public static async Task<WatchFigures> RunAsync(
        IRevisionedStore store,
        string prefix,
        StoreBenchSettings settings,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        int watchers = settings.Watchers;
        int events = settings.WatchEvents;
        long after = await store.GetCurrentRevisionAsync(cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var latencies = new Latency[watchers];
        var waiting = new StrongBox<int>(watchers);
        var allReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task WatchAsync(int watcher)
        {
            var latency = new Latency();
            latencies[watcher] = latency;
            await foreach (WatchEvent change in store.WatchAsync(prefix, after, stop.Token))
            {
                long now = Stopwatch.GetTimestamp();
                if (change.Current.Key.EndsWith(ReadyKey, StringComparison.Ordinal))
                {
                    if (Interlocked.Decrement(ref waiting.Value) == 0)
                    {
                        allReady.TrySetResult();
                    }

                    continue;
                }

                latency.Record(now - BinaryPrimitives.ReadInt64LittleEndian(change.Current.Value.Span));
                if (latency.Count == events)
                {
                    return;
                }
            }
        }

        Task[] watching = Enumerable.Range(0, watchers).Select(w => Task.Run(() => WatchAsync(w), stop.Token)).ToArray();
        var acknowledge = new Latency();
        try
        {
            // Timing starts only once every watcher has seen a first event, so stream setup is not counted as delivery latency.
            await store.CreateAsync(prefix + ReadyKey, Stamped(0, settings.ValueBytes), null, cancellationToken);
            await allReady.Task.WaitAsync(s_settle, timeProvider, cancellationToken);

            using var timer = new PeriodicTimer(settings.WatchInterval, timeProvider);
            for (int i = 0; i < events; i++)
            {
                await timer.WaitForNextTickAsync(cancellationToken);
                long start = Stopwatch.GetTimestamp();
                WriteResult result = await store.CreateAsync($"{prefix}e{i:D6}", Stamped(start, settings.ValueBytes), null, cancellationToken);
                acknowledge.RecordSince(start);
                if (!result.Succeeded)
                {
                    throw new InvalidOperationException($"watch benchmark write {i} returned {result.Status}");
                }
            }

            await Task.WhenAll(watching).WaitAsync(s_settle, timeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Reported as an incomplete delivery count rather than failing the whole run.
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(watching).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }

        return new WatchFigures(watchers, events, (long)watchers * events, Latency.Merge(latencies.Where(l => l is not null)), acknowledge);
    }

    private static byte[] Stamped(long timestamp, int size)
    {
        byte[] value = new byte[size];
        value.AsSpan(sizeof(long)).Fill((byte)'w');
        BinaryPrimitives.WriteInt64LittleEndian(value, timestamp);
        return value;
    }
}
