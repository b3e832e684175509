namespace Skiff.Bench.Api;

/// <summary>Sizes and time bounds of the API benchmark, chosen so one run (two backends) takes about five minutes on a shared 2-core box.</summary>
internal sealed record ApiBenchSettings
{
    public int ConcurrentClients { get; init; } = 32;

    public PhaseLimit CreatePhase { get; init; } = new(TimeSpan.FromSeconds(6), 30_000);

    public PhaseLimit GetPhase { get; init; } = new(TimeSpan.FromSeconds(3), 20_000);

    public int Pods { get; init; } = 10_000;

    public PhaseLimit ListPhase { get; init; } = new(TimeSpan.FromSeconds(6), 40);

    public int Secrets { get; init; } = 5_000;

    /// <summary>Secrets the mixed profile may delete (the rest are read and patched, so reads never race a delete).</summary>
    public int DeletableSecrets { get; init; } = 1_000;

    public int SecretLabelValues { get; init; } = 50;

    public int MixedRatePerSecond { get; init; } = 200;

    public TimeSpan MixedDuration { get; init; } = TimeSpan.FromSeconds(30);

    public int Watchers { get; init; } = 1_000;

    /// <summary>Timed writes to the watched object, after one untimed write that proves every stream delivers.</summary>
    public int WatchRounds { get; init; } = 5;

    public TimeSpan WatchRoundInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Seeding and server start are not measured; these only stop a stuck server from hanging the run.</summary>
    public TimeSpan SeedTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Quiet time before reading VmRSS, so in-flight requests finish and their buffers go back to the pools.</summary>
    public TimeSpan RssSettle { get; init; } = TimeSpan.FromSeconds(2);
}
