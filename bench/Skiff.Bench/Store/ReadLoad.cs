using Skiff.Store;

namespace Skiff.Bench.Store;

/// <summary>Point reads and full prefix lists through the store contract.</summary>
internal static class ReadLoad
{
    /// <summary>Lists the whole prefix repeatedly from one reader; each list must return every key.</summary>
    public static Task<Throughput> ListAsync(IRevisionedStore store, string prefix, int expected, PhaseLimit limit, CancellationToken cancellationToken) =>
        LoadRunner.RunAsync(
            1,
            limit,
            async (_, _, token) =>
            {
                ListResult result = await store.ListAsync(prefix, new ListOptions(), token);
                if (result.Items.Count != expected)
                {
                    throw new InvalidOperationException($"list of {prefix} returned {result.Items.Count} keys, expected {expected}");
                }
            },
            cancellationToken);

    /// <summary>Gets the seeded keys round-robin from one reader.</summary>
    public static Task<Throughput> GetAsync(IRevisionedStore store, OwnedKeys keys, PhaseLimit limit, CancellationToken cancellationToken) =>
        LoadRunner.RunAsync(
            1,
            limit,
            async (reader, sequence, token) =>
            {
                // Stride over writers so consecutive gets touch different parts of the key space.
                (int _, string key, long _) = keys.Next((int)(sequence % keys.Writers), sequence / keys.Writers);
                if (await store.GetAsync(key, 0, token) is null)
                {
                    throw new InvalidOperationException($"get of {key} found nothing");
                }
            },
            cancellationToken);

    /// <summary>
    /// Get and List latency on <see cref="StoreBenchSettings.HistoryKeys"/> keys, then many updates of exactly those keys with no
    /// compaction, then the same reads again: reads of the present should not pay for history.
    /// </summary>
    public static async Task<HistoryFigures> HistoryAsync(
        IRevisionedStore store,
        string prefix,
        StoreBenchSettings settings,
        ReadOnlyMemory<byte> value,
        IProgress<string> progress,
        CancellationToken cancellationToken)
    {
        int writers = settings.HistoryWriters;
        OwnedKeys keys = await WriteLoad.SeedAsync(store, prefix, writers, settings.HistoryKeys / writers, value, settings.SeedTimeout, cancellationToken);
        int count = keys.Count;

        // Warm the connection pool and page cache so "before" is not penalised for being first.
        await GetAsync(store, keys, new PhaseLimit(TimeSpan.FromSeconds(1), 200), cancellationToken);
        await ListAsync(store, prefix, count, new PhaseLimit(TimeSpan.FromSeconds(1), 10), cancellationToken);

        Throughput getBefore = await GetAsync(store, keys, settings.GetPhase, cancellationToken);
        Throughput listBefore = await ListAsync(store, prefix, count, settings.SmallListPhase, cancellationToken);
        progress.Report($"sqlite history: {settings.HistoryUpdates} updates of {count} keys");
        Throughput updates = await WriteLoad.UpdateAsync(
            store,
            keys,
            value,
            new PhaseLimit(settings.SeedTimeout, settings.HistoryUpdates),
            cancellationToken);
        Throughput getAfter = await GetAsync(store, keys, settings.GetPhase, cancellationToken);
        Throughput listAfter = await ListAsync(store, prefix, count, settings.SmallListPhase, cancellationToken);
        return new HistoryFigures(count, updates, getBefore, getAfter, listBefore, listAfter);
    }
}
