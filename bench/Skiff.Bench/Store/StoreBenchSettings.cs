namespace Skiff.Bench.Store;

/// <summary>Sizes and time bounds of the store benchmark, chosen so one run takes about three minutes on a shared 2-core box.</summary>
internal sealed record StoreBenchSettings
{
    public TimeSpan FsyncProbeDuration { get; init; } = TimeSpan.FromSeconds(3);

    public int ValueBytes { get; init; } = 1024;

    public int ConcurrentWriters { get; init; } = 32;

    public PhaseLimit WritePhase { get; init; } = new(TimeSpan.FromSeconds(5), 50_000);

    public int Watchers { get; init; } = 100;

    public int WatchEvents { get; init; } = 500;

    /// <summary>One event every 5 ms: 200 events/s, modest enough that the watch path, not the writer, is measured.</summary>
    public TimeSpan WatchInterval { get; init; } = TimeSpan.FromMilliseconds(5);

    public int ListKeys { get; init; } = 10_000;

    public PhaseLimit ListPhase { get; init; } = new(TimeSpan.FromSeconds(4), 40);

    public int HistoryKeys { get; init; } = 1_000;

    public int HistoryUpdates { get; init; } = 100_000;

    /// <summary>Many writers so group commit packs large batches and the 100,000 updates take seconds, not minutes.</summary>
    public int HistoryWriters { get; init; } = 200;

    public PhaseLimit GetPhase { get; init; } = new(TimeSpan.FromSeconds(2), 5_000);

    public PhaseLimit SmallListPhase { get; init; } = new(TimeSpan.FromSeconds(2), 200);

    /// <summary>Seeding is not measured; this only stops a stuck backend from hanging the run.</summary>
    public TimeSpan SeedTimeout { get; init; } = TimeSpan.FromMinutes(2);
}
