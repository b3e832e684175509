using System.Globalization;
using System.Runtime.InteropServices;

namespace Skiff.Bench.Store;

/// <summary>Prints the store figures as tables, with etcd and the fsync ceiling beside SQLite and each target marked PASS or MISS.</summary>
internal sealed class StoreReport(StoreBenchSettings settings, StoreResults results)
{
    private const double WatchP99TargetMs = 10;
    private const double ConcurrentVsEtcdTarget = 1.0;
    private const double SerialVsFsyncTarget = 0.8;
    private const double HistoryRatioTarget = 1.3;

    public void Write(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        BackendFigures sqlite = results.Sqlite;
        BackendFigures? etcd = results.Etcd;
        BackendFigures[] backends = etcd is null ? [sqlite] : [sqlite, etcd];

        output.WriteLine($"Skiff store benchmark: {RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}");
        output.WriteLine($"temp dir {results.Directory} (SQLite, etcd data and the fsync probe share this filesystem)");
        output.WriteLine(etcd is null ? $"etcd: not measured ({results.EtcdProblem})" : "etcd: 3.4 single member on loopback, started by the harness");
        output.WriteLine();

        output.WriteLine("1. Disk fsync ceiling (serial 4 KiB write + fsync)");
        var fsync = new TextTable("", "fsyncs", "fsyncs/s", "p50 ms", "p99 ms");
        fsync.Add("disk", Count(results.Fsync.Operations), Rate(results.Fsync.PerSecond), Ms(results.Fsync.Latency, 50), Ms(results.Fsync.Latency, 99));
        fsync.Write(output);
        output.WriteLine();

        output.WriteLine($"2-3. Writes of {settings.ValueBytes} B values (each phase {settings.WritePhase.Duration.TotalSeconds:0} s or {settings.WritePhase.MaxOperations} ops)");
        var writes = new TextTable("backend", "op", "writers", "ops", "ops/s", "p50 ms", "p99 ms", "vs etcd", "vs fsync");
        foreach (BackendFigures figures in backends)
        {
            AddWrite(writes, figures, "create", 1, figures.CreateSerial, etcd?.CreateSerial);
            AddWrite(writes, figures, "create", settings.ConcurrentWriters, figures.CreateConcurrent, etcd?.CreateConcurrent);
            AddWrite(writes, figures, "update", 1, figures.UpdateSerial, etcd?.UpdateSerial);
            AddWrite(writes, figures, "update", settings.ConcurrentWriters, figures.UpdateConcurrent, etcd?.UpdateConcurrent);
        }

        writes.Write(output);
        output.WriteLine();

        output.WriteLine(
            $"4. Watch delivery ({settings.Watchers} watchers on one prefix, {settings.WatchEvents} creates every {settings.WatchInterval.TotalMilliseconds:0} ms; " +
            "latency from just before Create to receipt)");
        var watch = new TextTable("backend", "delivered", "p50 ms", "p99 ms", "max ms", "create ack p50", "create ack p99");
        foreach (BackendFigures figures in backends)
        {
            WatchFigures w = figures.Watch;
            watch.Add(figures.Name, $"{w.Delivery.Count}/{w.Expected}", Ms(w.Delivery, 50), Ms(w.Delivery, 99), Ms(w.Delivery, 100), Ms(w.Acknowledge, 50), Ms(w.Acknowledge, 99));
        }

        watch.Write(output);
        output.WriteLine();

        output.WriteLine($"5. Full prefix list of {settings.ListKeys} keys ({settings.ValueBytes} B values)");
        var list = new TextTable("backend", "lists", "p50 ms", "p99 ms");
        foreach (BackendFigures figures in backends)
        {
            list.Add(figures.Name, Count(figures.List.Operations), Ms(figures.List.Latency, 50), Ms(figures.List.Latency, 99));
        }

        list.Write(output);
        output.WriteLine();

        HistoryFigures history = results.History;
        output.WriteLine(
            $"6. SQLite reads vs history ({history.Keys} keys; {Count(history.Updates.Operations)} updates of them at " +
            $"{Rate(history.Updates.PerSecond)}/s with {settings.HistoryWriters} writers, no compaction)");
        var reads = new TextTable("read", "before p50 ms", "after p50 ms", "after/before", "before p99 ms", "after p99 ms");
        reads.Add("get", Ms(history.GetBefore.Latency, 50), Ms(history.GetAfter.Latency, 50), Ratio(history.GetRatio), Ms(history.GetBefore.Latency, 99), Ms(history.GetAfter.Latency, 99));
        reads.Add($"list {history.Keys}", Ms(history.ListBefore.Latency, 50), Ms(history.ListAfter.Latency, 50), Ratio(history.ListRatio), Ms(history.ListBefore.Latency, 99), Ms(history.ListAfter.Latency, 99));
        reads.Write(output);
        output.WriteLine();

        WriteTargets(output);
    }

    private void WriteTargets(TextWriter output)
    {
        BackendFigures sqlite = results.Sqlite;
        BackendFigures? etcd = results.Etcd;
        output.WriteLine("Targets");
        var targets = new TextTable("target", "measured", "result");

        string vsEtcd = etcd is null ? "n/a (no etcd)" : Ratio(sqlite.CreateConcurrent.PerSecond / etcd.CreateConcurrent.PerSecond);
        targets.Add(
            $"SQLite creates/s, {settings.ConcurrentWriters} writers >= {ConcurrentVsEtcdTarget:0.0}x etcd",
            vsEtcd,
            etcd is null ? "n/a" : Verdict(sqlite.CreateConcurrent.PerSecond / etcd.CreateConcurrent.PerSecond >= ConcurrentVsEtcdTarget));

        double vsFsync = sqlite.CreateSerial.PerSecond / results.Fsync.PerSecond;
        targets.Add($"SQLite creates/s, 1 writer >= {SerialVsFsyncTarget:0.0}x fsync ceiling", Ratio(vsFsync), Verdict(vsFsync >= SerialVsFsyncTarget));

        double watchP99 = sqlite.Watch.Delivery.Milliseconds(99);
        targets.Add(
            $"SQLite watch delivery p99 <= {WatchP99TargetMs:0} ms",
            Ms(sqlite.Watch.Delivery, 99) + " ms" + (sqlite.Watch.Complete ? "" : " (incomplete)"),
            Verdict(watchP99 <= WatchP99TargetMs && sqlite.Watch.Complete));

        double historyRatio = Math.Max(results.History.GetRatio, results.History.ListRatio);
        targets.Add($"SQLite read-after-history p50 ratio (worse of get, list) <= {HistoryRatioTarget:0.0}x", Ratio(historyRatio), Verdict(historyRatio <= HistoryRatioTarget));
        targets.Write(output);
    }

    private void AddWrite(TextTable table, BackendFigures figures, string op, int writers, Throughput throughput, Throughput? etcd) =>
        table.Add(
            figures.Name,
            op,
            writers.ToString(CultureInfo.InvariantCulture),
            Count(throughput.Operations),
            Rate(throughput.PerSecond),
            Ms(throughput.Latency, 50),
            Ms(throughput.Latency, 99),
            etcd is null ? "" : Ratio(throughput.PerSecond / etcd.PerSecond),
            Ratio(throughput.PerSecond / results.Fsync.PerSecond));

    private static string Verdict(bool met) => met ? "PASS" : "MISS";

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Rate(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Ratio(double value) => value.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    private static string Ms(Latency latency, double percentile) => latency.Milliseconds(percentile).ToString("0.00", CultureInfo.InvariantCulture);
}
