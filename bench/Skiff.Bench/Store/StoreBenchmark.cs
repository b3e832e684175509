using Skiff.TestKit.Etcd;

namespace Skiff.Bench.Store;

/// <summary>
/// <c>Skiff.Bench store</c>: the disk's fsync ceiling, then one workload through <see cref="Skiff.Store.IRevisionedStore"/>
/// on SQLite and on a real etcd started for the run, all on the same filesystem, then the report with targets.
/// </summary>
internal sealed class StoreBenchmark
{
    private readonly StoreBenchSettings _settings;
    private readonly TimeProvider _timeProvider;
    private readonly IProgress<string> _progress;
    private readonly byte[] _value;

    private StoreBenchmark(StoreBenchSettings settings, TimeProvider timeProvider, IProgress<string> progress)
    {
        _settings = settings;
        _timeProvider = timeProvider;
        _progress = progress;
        _value = new byte[settings.ValueBytes];
        _value.AsSpan().Fill((byte)'v');
    }

    public static async Task RunAsync(TextWriter report, TextWriter progress, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(progress);
        var settings = new StoreBenchSettings();
        var benchmark = new StoreBenchmark(settings, timeProvider, new LineProgress(progress));
        StoreResults results = await benchmark.MeasureAsync(cancellationToken);
        new StoreReport(settings, results).Write(report);
    }

    private async Task<StoreResults> MeasureAsync(CancellationToken cancellationToken)
    {
        // Path.GetTempPath() is where EtcdProcess puts etcd's data too, so both stores and the probe share one filesystem.
        DirectoryInfo directory = Directory.CreateTempSubdirectory("skiff-bench-");
        try
        {
            _progress.Report($"fsync probe in {directory.FullName}");
            Throughput fsync = FsyncProbe.Measure(directory.FullName, _settings.FsyncProbeDuration, cancellationToken);

            BackendFigures sqlite;
            await using (var store = StoreUnderTest.Open("sqlite", Path.Combine(directory.FullName, "bench.db")))
            {
                sqlite = await MeasureBackendAsync(store, cancellationToken);
            }

            HistoryFigures history;
            await using (var store = StoreUnderTest.Open("sqlite", Path.Combine(directory.FullName, "history.db")))
            {
                history = await ReadLoad.HistoryAsync(store.Store, "/history/", _settings, _value, _progress, cancellationToken);
            }

            (BackendFigures? etcd, string? etcdProblem) = await MeasureEtcdAsync(cancellationToken);
            return new StoreResults(directory.FullName, fsync, sqlite, etcd, etcdProblem, history);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private async Task<(BackendFigures? Figures, string? Problem)> MeasureEtcdAsync(CancellationToken cancellationToken)
    {
        _progress.Report("starting etcd");
        (EtcdProcess? etcd, string? problem) = await EtcdProcess.TryStartAsync(cancellationToken);
        if (etcd is null)
        {
            return (null, problem);
        }

        await using (etcd)
        {
            await using var store = StoreUnderTest.Open("etcd", etcd.DatastoreEndpoint);
            return (await MeasureBackendAsync(store, cancellationToken), null);
        }
    }

    private async Task<BackendFigures> MeasureBackendAsync(StoreUnderTest target, CancellationToken cancellationToken)
    {
        Skiff.Store.IRevisionedStore store = target.Store;
        string name = target.Name;
        int writers = _settings.ConcurrentWriters;
        PhaseLimit phase = _settings.WritePhase;

        // JIT, connection pools and (for etcd) the gRPC channel are set up outside the measured phases.
        _progress.Report($"{name}: warm-up");
        await WriteLoad.CreateAsync(store, "/warmup/", 8, _value, new PhaseLimit(TimeSpan.FromSeconds(1), 500), cancellationToken);

        _progress.Report($"{name}: creates, 1 writer");
        (Throughput createSerial, OwnedKeys serialKeys) = await WriteLoad.CreateAsync(store, "/create-1/", 1, _value, phase, cancellationToken);
        _progress.Report($"{name}: creates, {writers} writers");
        (Throughput createConcurrent, OwnedKeys concurrentKeys) =
            await WriteLoad.CreateAsync(store, $"/create-{writers}/", writers, _value, phase, cancellationToken);
        _progress.Report($"{name}: updates, 1 writer");
        Throughput updateSerial = await WriteLoad.UpdateAsync(store, serialKeys, _value, phase, cancellationToken);
        _progress.Report($"{name}: updates, {writers} writers");
        Throughput updateConcurrent = await WriteLoad.UpdateAsync(store, concurrentKeys, _value, phase, cancellationToken);

        _progress.Report($"{name}: watch, {_settings.Watchers} watchers");
        WatchFigures watch = await WatchLoad.RunAsync(store, "/watch/", _settings, _timeProvider, cancellationToken);

        _progress.Report($"{name}: list of {_settings.ListKeys} keys");
        const int seedWriters = 50;
        await WriteLoad.SeedAsync(store, "/list/", seedWriters, _settings.ListKeys / seedWriters, _value, _settings.SeedTimeout, cancellationToken);
        await ReadLoad.ListAsync(store, "/list/", _settings.ListKeys, new PhaseLimit(TimeSpan.FromSeconds(1), 2), cancellationToken);
        Throughput list = await ReadLoad.ListAsync(store, "/list/", _settings.ListKeys, _settings.ListPhase, cancellationToken);

        return new BackendFigures(name, createSerial, createConcurrent, updateSerial, updateConcurrent, watch, list);
    }

}
