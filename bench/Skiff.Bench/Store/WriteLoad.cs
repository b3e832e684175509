using Skiff.Store;

namespace Skiff.Bench.Store;

/// <summary>Creates and compare-and-swap updates through the store contract, each writer waiting for its own acknowledgement.</summary>
internal static class WriteLoad
{
    public static async Task<(Throughput Throughput, OwnedKeys Keys)> CreateAsync(
        IRevisionedStore store,
        string prefix,
        int writers,
        ReadOnlyMemory<byte> value,
        PhaseLimit limit,
        CancellationToken cancellationToken)
    {
        var keys = new OwnedKeys(writers);
        Throughput throughput = await LoadRunner.RunAsync(
            writers,
            limit,
            async (writer, sequence, token) =>
            {
                string key = KeyOf(prefix, writer, sequence);
                WriteResult result = await store.CreateAsync(key, value, null, token);
                EnsureOk(result, key);
                keys.Add(writer, key, result.Revision);
            },
            cancellationToken);
        return (throughput, keys);
    }

    public static Task<Throughput> UpdateAsync(
        IRevisionedStore store,
        OwnedKeys keys,
        ReadOnlyMemory<byte> value,
        PhaseLimit limit,
        CancellationToken cancellationToken) =>
        LoadRunner.RunAsync(
            keys.Writers,
            limit,
            async (writer, sequence, token) =>
            {
                (int slot, string key, long revision) = keys.Next(writer, sequence);
                WriteResult result = await store.UpdateAsync(key, value, revision, null, token);
                EnsureOk(result, key);
                keys.SetRevision(writer, slot, result.Revision);
            },
            cancellationToken);

    /// <summary>Creates exactly <paramref name="keysPerWriter"/> keys per writer (unmeasured setup for read phases).</summary>
    public static async Task<OwnedKeys> SeedAsync(
        IRevisionedStore store,
        string prefix,
        int writers,
        int keysPerWriter,
        ReadOnlyMemory<byte> value,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var keys = new OwnedKeys(writers);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);

        async Task SeedWriterAsync(int writer)
        {
            for (int i = 0; i < keysPerWriter; i++)
            {
                string key = KeyOf(prefix, writer, i);
                WriteResult result = await store.CreateAsync(key, value, null, bounded.Token);
                EnsureOk(result, key);
                keys.Add(writer, key, result.Revision);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => SeedWriterAsync(w), bounded.Token)));
        return keys;
    }

    private static string KeyOf(string prefix, int writer, long sequence) => $"{prefix}w{writer:D3}/{sequence:D8}";

    private static void EnsureOk(WriteResult result, string key)
    {
        // Every writer owns its keys, so anything but Ok means the benchmark (or the store) is broken, not contended.
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"write of {key} returned {result.Status}");
        }
    }
}
