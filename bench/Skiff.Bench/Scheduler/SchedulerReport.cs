using System.Globalization;

namespace Skiff.Bench.Scheduler;

/// <summary>The <c>scheduler</c> report: each figure with its baseline from the same run and PASS/MISS per target.</summary>
internal static class SchedulerReport
{
    public static void Write(
        TextWriter output,
        IReadOnlyList<(InProcessCase Case, CycleFigures FirstFit, CycleFigures Default)> inProcess,
        EndToEndFigures? endToEnd,
        MemoryFigures? memory,
        TimeSpan total)
    {
        output.WriteLine("Skiff scheduler benchmark");
        output.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {total.TotalSeconds:0} s in all");
        var targets = new TextTable("target", "measured", "result");
        if (inProcess.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("1-3. In process (no API): Scheduler + SchedulingQueue + SchedulerCache, default profile, a binder that completes at once.");
            output.WriteLine("     Baseline \"first fit\": the same cache and snapshot, NodeResourcesFit's Filter only, first node that fits.");
            var table = new TextTable("case (nodes / init / measured pods)", "profile", "pods/s", "cycle p50", "cycle p99", "gen2 GCs", "vs first fit");
            foreach ((InProcessCase c, CycleFigures firstFit, CycleFigures full) in inProcess)
            {
                string name = string.Create(CultureInfo.InvariantCulture, $"{c.Name} ({c.Nodes:#,0} / {c.InitPods:#,0} / {c.MeasurePods:#,0})");
                table.Add(name, "first fit", Number(firstFit.PerSecond), Ms(firstFit.Latency, 50), Ms(firstFit.Latency, 99), Number(firstFit.Gen2Collections), "1.00x");
                table.Add("", "default", Number(full.PerSecond), Ms(full.Latency, 50), Ms(full.Latency, 99), Number(full.Gen2Collections), Ratio(full.PerSecond / firstFit.PerSecond));
                targets.Add($"{c.Name} ≥ {c.TargetPodsPerSecond:#,0} pods/s", Number(full.PerSecond), full.PerSecond >= c.TargetPodsPerSecond ? "PASS" : "MISS");
            }

            table.Write(output);
        }

        if (endToEnd is not null)
        {
            EndToEndFigures e = endToEnd;
            output.WriteLine();
            output.WriteLine($"4. End to end: Release skiff server (SQLite) + {e.Nodes} hollow nodes in the bench process, {e.Pods:#,0} pods created by {e.Clients} clients");
            output.WriteLine("   scheduler: the server's own scheduler binds; clock from the first create to the last pod seen bound on a watch;");
            output.WriteLine("   latency per pod: just before its POST → the watch event carrying spec.nodeName.");
            output.WriteLine("   baseline: server with --disable-scheduler; each client POSTs the pod, then its pods/binding (round-robin node);");
            output.WriteLine("   same clock and latency (first create → last pod seen bound; POST → bound on the watch). \"clients done\": when the");
            output.WriteLine("   clients' last request was answered, so the difference to \"last bound seen\" is the binding (and watch) lag at the end.");
            var table = new TextTable("run", "clients done", "last bound seen", "pods/s", "p50", "p99", "vs baseline");
            table.Add("baseline: create + bind by the client", Seconds(e.Baseline.ClientsDone), Seconds(e.Baseline.Elapsed), Number(e.Baseline.PerSecond), Ms(e.Baseline.Latency, 50), Ms(e.Baseline.Latency, 99), "1.00x");
            table.Add("scheduler: create, server binds", Seconds(e.Scheduled.ClientsDone), Seconds(e.Scheduled.Elapsed), Number(e.Scheduled.PerSecond), Ms(e.Scheduled.Latency, 50), Ms(e.Scheduled.Latency, 99), Ratio(e.Scheduled.PerSecond / e.Baseline.PerSecond));
            table.Write(output);
            targets.Add("end to end ≥ 300 pods/s", Number(e.Scheduled.PerSecond), e.Scheduled.PerSecond >= 300 ? "PASS" : "MISS");
        }

        if (memory is not null)
        {
            MemoryFigures m = memory;
            output.WriteLine();
            output.WriteLine($"5. Memory, in process: managed heap after a full GC with {m.Pods:#,0} pending pod-default pods; no nodes, so each attempt fails.");
            output.WriteLine("   Baseline: the pod objects alone (what the scheduler's informer holds in any case).");
            var table = new TextTable("step", "heap growth", "per pod", "vs pods alone", "RSS growth");
            table.Add("pods alone (baseline)", Mb(m.PodBytes), Bytes(m.PodBytes / m.Pods), "1.00x", Mb(m.Rss.PodsOnly - m.Rss.Empty));
            table.Add("+ queued (activeQ)", Mb(m.QueueBytes), Bytes(m.QueueBytes / m.Pods), Ratio((double)m.QueueBytes / m.PodBytes), Mb(m.Rss.Queued - m.Rss.PodsOnly));
            table.Add(
                $"+ one failed attempt each ({m.Unschedulable:#,0} unschedulable)",
                Mb(m.AttemptedBytes),
                Bytes(m.AttemptedBytes / m.Pods),
                Ratio((double)m.AttemptedBytes / m.PodBytes),
                Mb(m.Rss.AfterOneAttempt - m.Rss.PodsOnly));
            table.Write(output);
            output.WriteLine($"   Process RSS with the whole backlog (pods, queue, attempts): +{Mb(m.RssGrowth)} over the empty process ({Mb(m.Rss.AfterOneAttempt)} in all).");
        }

        output.WriteLine();
        output.WriteLine("Targets");
        targets.Write(output);
    }

    private static string Number(double value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    private static string Ms(Latency latency, double percentile) => latency.Milliseconds(percentile).ToString("0.00 'ms'", CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.00 's'", CultureInfo.InvariantCulture);

    private static string Ratio(double value) => value.ToString("0.00'x'", CultureInfo.InvariantCulture);

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("0.0 'MB'", CultureInfo.InvariantCulture);

    private static string Bytes(long bytes) => bytes.ToString("#,0 'B'", CultureInfo.InvariantCulture);
}
