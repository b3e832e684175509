using System.Globalization;
using System.Runtime.InteropServices;

namespace Skiff.Bench.Api;

/// <summary>Prints the API figures per backend, SQLite-vs-etcd ratios, the targets marked PASS or MISS, and published figures as context.</summary>
internal sealed class ApiReport(ApiBenchSettings settings, string binary, ApiBackendFigures sqlite, ApiBackendFigures? etcdFigures, string? etcdProblem, TimeSpan runTime)
{
    private const double MixedMeanTargetMs = 50;
    private const double ListP99TargetMs = 300;
    private const double MutatingP99TargetMs = 100;
    private const double MemoryPerJsonByteTarget = 2.0;

    // Published vcluster-profile averages (same request mix and rate) for context, not targets.
    private const double K3sSqliteMixedMeanMs = 1400;
    private const double UpstreamEtcdMixedMeanMs = 150;

    public void Write(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ApiBackendFigures? etcd = etcdFigures;
        ApiBackendFigures[] backends = etcd is null ? [sqlite] : [sqlite, etcd];
        output.WriteLine($"Skiff API server benchmark: {RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}");
        output.WriteLine($"server: {binary}, loopback HTTPS with the admin client certificate; run took {runTime.TotalSeconds:0} s");
        output.WriteLine("clients: raw HttpClient (kubeconfig read by KubernetesClient, namespaces created with it); HTTP/1.1 keep-alive, one connection");
        output.WriteLine("         per request in flight, except watches: HTTP/2, up to 100 streams per TLS connection (Kestrel's limit)");
        output.WriteLine(etcd is null ? $"etcd: not measured ({etcdProblem})" : "etcd: 3.4 single member on loopback, started by the harness");
        output.WriteLine();

        output.WriteLine($"1. Writes and single-object reads ({settings.ConcurrentClients} clients; each phase {settings.CreatePhase.Duration.TotalSeconds:0} s / {settings.GetPhase.Duration.TotalSeconds:0} s at most)");
        var writes = new TextTable("backend", "op", "clients", "ops", "ops/s", "p50 ms", "p99 ms", "errors");
        foreach (ApiBackendFigures b in backends)
        {
            writes.Add(b.Name, "ConfigMap create", Count(settings.ConcurrentClients), Count(b.Creates.Operations), Rate(b.Creates.PerSecond), Ms(b.Creates.Latency, 50), Ms(b.Creates.Latency, 99), Count(b.CreateErrors));
            writes.Add(b.Name, "Pod create (seed)", Count(settings.ConcurrentClients), Count(b.PodSeed.Operations), Rate(b.PodSeed.PerSecond), Ms(b.PodSeed.Latency, 50), Ms(b.PodSeed.Latency, 99), "0");
            writes.Add(b.Name, "Secret create (seed)", Count(settings.ConcurrentClients), Count(b.SecretSeed.Operations), Rate(b.SecretSeed.PerSecond), Ms(b.SecretSeed.Latency, 50), Ms(b.SecretSeed.Latency, 99), "0");
            writes.Add(b.Name, $"ConfigMap GET ({b.GetBytes} B)", "1", Count(b.GetSerial.Operations), Rate(b.GetSerial.PerSecond), Ms(b.GetSerial.Latency, 50), Ms(b.GetSerial.Latency, 99), "0");
            writes.Add(b.Name, $"ConfigMap GET ({b.GetBytes} B)", Count(settings.ConcurrentClients), Count(b.GetConcurrent.Operations), Rate(b.GetConcurrent.PerSecond), Ms(b.GetConcurrent.Latency, 50), Ms(b.GetConcurrent.Latency, 99), "0");
        }

        writes.Write(output);
        output.WriteLine();

        output.WriteLine($"2. Cluster-scope LIST /api/v1/pods (JSON), 1 client, {settings.ListPhase.Duration.TotalSeconds:0} s or {settings.ListPhase.MaxOperations} lists");
        var list = new TextTable("backend", "pods", "body MB", "lists", "p50 ms", "p99 ms", "MB/s at p50");
        foreach (ApiBackendFigures b in backends)
        {
            list.Add(b.Name, Count(b.ListedPods), Mb(b.ListBytes), Count(b.List.Operations), Ms(b.List.Latency, 50), Ms(b.List.Latency, 99),
                (b.ListBytes / 1e6 / (b.List.Latency.Milliseconds(50) / 1000)).ToString("0", CultureInfo.InvariantCulture));
        }

        list.Write(output);
        output.WriteLine();

        output.WriteLine(
            $"3. vcluster profile: {settings.Secrets} Secrets stored, then {settings.MixedRatePerSecond} requests/s (open loop) for {settings.MixedDuration.TotalSeconds:0} s: " +
            "50% GET, 20% LIST by label (~100 of them), 10% create, 10% merge patch, 10% delete");
        var mixed = new TextTable("backend", "op", "requests", "avg ms", "p50 ms", "p99 ms", "max ms", "errors");
        foreach (ApiBackendFigures b in backends)
        {
            MixedFigures m = b.Mixed;
            mixed.Add(b.Name, $"all ({m.PerSecond:0}/s)", Count(m.All.Count), Num(m.MeanMilliseconds), Ms(m.All, 50), Ms(m.All, 99), Ms(m.All, 100), Count(m.Errors));
            mixed.Add(b.Name, "mutating", Count(m.Mutating.Count), "", Ms(m.Mutating, 50), Ms(m.Mutating, 99), Ms(m.Mutating, 100), "");
            foreach ((MixedOperation operation, Latency latency) in m.ByOperation)
            {
                mixed.Add(b.Name, "  " + operation, Count(latency.Count), "", Ms(latency, 50), Ms(latency, 99), Ms(latency, 100), "");
            }
        }

        mixed.Write(output);
        foreach (ApiBackendFigures b in backends)
        {
            SlowWindow slow = b.Mixed.Slow;
            output.WriteLine(
                $"  {b.Name}: arrivals ran at most {b.Mixed.MaxArrivalLag.TotalMilliseconds:0.0} ms behind schedule; {slow.Count} requests over {slow.Threshold.TotalMilliseconds:0} ms" +
                (slow.Count == 0 ? string.Empty : $", sent between {slow.FirstSent.TotalSeconds:0.0} s and {slow.LastSent.TotalSeconds:0.0} s into the phase"));
        }

        output.WriteLine();

        output.WriteLine(
            $"4. Watch delivery: {settings.Watchers} watch streams on one ConfigMap (HTTP/2), {settings.WatchRounds} timed merge patches " +
            $"{settings.WatchRoundInterval.TotalSeconds:0} s apart; latency from just before the PATCH is sent to each watcher's receipt of its line");
        var watch = new TextTable("backend", "opened in s", "delivered", "p50 ms", "p99 ms", "max ms", "PATCH ack p50 ms");
        foreach (ApiBackendFigures b in backends)
        {
            WatchFanoutFigures w = b.Watch;
            watch.Add(b.Name, w.OpenTime.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture), $"{w.Delivery.Count}/{w.Expected}",
                Ms(w.Delivery, 50), Ms(w.Delivery, 99), Ms(w.Delivery, 100), Ms(w.Acknowledge, 50));
        }

        watch.Write(output);
        output.WriteLine();

        output.WriteLine($"5. Server memory (VmRSS; \"empty\" after warm-up, then after {settings.Pods} pods, {settings.RssSettle.TotalSeconds:0} s idle before each reading)");
        var memory = new TextTable("backend", "RSS empty MB", "RSS 10k pods MB", "RSS at end MB", "pod JSON MB", "JSON B/pod", "RSS growth / JSON", "cache / JSON");
        foreach (ApiBackendFigures b in backends)
        {
            memory.Add(b.Name, Mb(b.RssEmpty), Mb(b.RssPods), Mb(b.RssEnd), Mb(b.PodJsonBytes), Count(b.ListedPods == 0 ? 0 : b.PodJsonBytes / b.ListedPods), Ratio(b.MemoryPerJsonByte), Ratio(b.CachePerJsonByte));
        }

        memory.Write(output);
        {
            output.WriteLine("  (SQLite runs inside the server, so its page cache counts in the sqlite row; etcd's memory is in its own process)");
            output.WriteLine("  (\"cache / JSON\" is the server's own accounting of its pod cache entries, skiff_watch_cache_bytes over skiff_watch_cache_json_bytes;");
            output.WriteLine("   \"RSS growth\" also counts garbage not yet collected and, for sqlite, the page cache: an upper bound)");
        }

        output.WriteLine();

        if (etcd is not null)
        {
            output.WriteLine("6. SQLite vs etcd (same run; >1x means SQLite is higher)");
            var ratios = new TextTable("figure", "sqlite", "etcd", "sqlite/etcd");
            AddRatio(ratios, "ConfigMap creates/s (32 clients)", sqlite.Creates.PerSecond, etcd.Creates.PerSecond, "0");
            AddRatio(ratios, "GET p99 ms (1 client)", sqlite.GetSerial.Latency.Milliseconds(99), etcd.GetSerial.Latency.Milliseconds(99), "0.00");
            AddRatio(ratios, "LIST 10k pods p99 ms", sqlite.List.Latency.Milliseconds(99), etcd.List.Latency.Milliseconds(99), "0.0");
            AddRatio(ratios, "vcluster profile avg ms", sqlite.Mixed.MeanMilliseconds, etcd.Mixed.MeanMilliseconds, "0.00");
            AddRatio(ratios, "vcluster mutating p99 ms", sqlite.Mixed.Mutating.Milliseconds(99), etcd.Mixed.Mutating.Milliseconds(99), "0.00");
            AddRatio(ratios, "watch delivery p99 ms (1,000 watchers)", sqlite.Watch.Delivery.Milliseconds(99), etcd.Watch.Delivery.Milliseconds(99), "0.0");
            AddRatio(ratios, "RSS growth per pod JSON byte", sqlite.MemoryPerJsonByte, etcd.MemoryPerJsonByte, "0.00");
            ratios.Write(output);
            output.WriteLine();
        }

        output.WriteLine("Targets");
        var targets = new TextTable("target", "backend", "measured", "result");
        foreach (ApiBackendFigures b in backends)
        {
            Target(targets, $"vcluster profile average <= {MixedMeanTargetMs:0} ms", b.Name, b.Mixed.MeanMilliseconds, MixedMeanTargetMs, "ms");
            Target(targets, $"LIST of 10k pods p99 <= {ListP99TargetMs:0} ms", b.Name, b.List.Latency.Milliseconds(99), ListP99TargetMs, "ms");
            Target(targets, $"mutating p99 at {settings.MixedRatePerSecond} requests/s <= {MutatingP99TargetMs:0} ms", b.Name, b.Mixed.Mutating.Milliseconds(99), MutatingP99TargetMs, "ms");
            Target(targets, $"watch cache memory per object <= {MemoryPerJsonByteTarget:0}x its JSON", b.Name, b.CachePerJsonByte, MemoryPerJsonByteTarget, "x");
        }

        targets.Write(output);
        output.WriteLine();

        output.WriteLine("Context: published vcluster-profile averages (other machines; compare orders of magnitude, not digits)");
        var context = new TextTable("system", "avg ms", "Skiff sqlite", etcd is null ? "" : "Skiff etcd");
        foreach ((string system, double ms) in (ReadOnlySpan<(string, double)>)[("k3s on SQLite (kine)", K3sSqliteMixedMeanMs), ("upstream kube-apiserver on etcd", UpstreamEtcdMixedMeanMs)])
        {
            context.Add(system, Num(ms), Lower(ms, sqlite.Mixed.MeanMilliseconds), etcd is null ? "" : Lower(ms, etcd.Mixed.MeanMilliseconds));
        }

        context.Write(output);
    }

    /// <summary>How many times lower Skiff's figure is than the published one ("0.5x lower" means twice as high).</summary>
    private static string Lower(double published, double skiff) => Ratio(published / skiff) + " lower";

    private static void AddRatio(TextTable table, string figure, double sqlite, double etcd, string format) =>
        table.Add(figure, sqlite.ToString(format, CultureInfo.InvariantCulture), etcd.ToString(format, CultureInfo.InvariantCulture), Ratio(sqlite / etcd));

    private static void Target(TextTable table, string target, string backend, double measured, double limit, string unit)
    {
        string shown = unit == "x" ? Ratio(measured) : Num(measured) + " " + unit;
        table.Add(target, backend, shown, measured <= limit ? "PASS" : "MISS");
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Rate(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Ms(Latency latency, double percentile) => Num(latency.Milliseconds(percentile));

    private static string Num(double value) => double.IsNaN(value) ? "-" : value.ToString(value >= 100 ? "0" : "0.00", CultureInfo.InvariantCulture);

    private static string Mb(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture);

    private static string Ratio(double value) => double.IsNaN(value) || double.IsInfinity(value) ? "-" : value.ToString("0.00", CultureInfo.InvariantCulture) + "x";
}
