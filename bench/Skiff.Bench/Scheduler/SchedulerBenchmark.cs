using System.Diagnostics;

namespace Skiff.Bench.Scheduler;

/// <summary>
/// <c>Skiff.Bench scheduler</c>: upstream scheduler_perf's SchedulingBasic, SchedulingNodeAffinity and SchedulingPodAntiAffinity
/// shapes in process (the scheduler alone, no API), each against a first-fit baseline on the same snapshot; then end to end
/// through a real <c>skiff server</c> with hollow nodes, against the API's own create+bind ceiling; then the memory of a
/// 100,000-pod backlog.
/// </summary>
internal static class SchedulerBenchmark
{
    public const int PendingPods = 100_000;

    // upstream's 5000Nodes_10000Pods (SchedulingBasic, SchedulingNodeAffinity) and 5000Nodes_2000Pods (SchedulingPodAntiAffinity).
    public static readonly IReadOnlyList<InProcessCase> Cases =
    [
        new("SchedulingBasic", PodShape.Default, 5_000, 1_000, 10_000, 1_000, "sched-0", "sched-0"),
        new("SchedulingNodeAffinity", PodShape.NodeAffinity, 5_000, 5_000, 10_000, 300, "sched-0", "sched-0"),
        new("SchedulingPodAntiAffinity", PodShape.AntiAffinity, 5_000, 1_000, 2_000, 100, "sched-0", "sched-1"),
    ];

    public static async Task RunAsync(TextWriter report, TextWriter progress, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(progress);
        long started = Stopwatch.GetTimestamp();
        string only = Environment.GetEnvironmentVariable("SKIFF_BENCH_SCHEDULER_ONLY") ?? "";
        var inProcess = new List<(InProcessCase Case, CycleFigures FirstFit, CycleFigures Default)>();
        foreach (InProcessCase c in Cases)
        {
            if (only.Length > 0 && !only.Contains(c.Name, StringComparison.Ordinal))
            {
                continue;
            }

            await progress.WriteLineAsync($"... {c.Name}: {c.Nodes} nodes, {c.InitPods} init pods, {c.MeasurePods} measured; first fit");
            CycleFigures firstFit = InProcessRun.FirstFit(c, cancellationToken);
            Collect();
            await progress.WriteLineAsync($"... {c.Name}: default profile");
            CycleFigures full = await InProcessRun.DefaultProfileAsync(c, cancellationToken);
            Collect();
            inProcess.Add((c, firstFit, full));
        }

        EndToEndFigures? endToEnd = null;
        if (only.Length == 0 || only.Contains("EndToEnd", StringComparison.Ordinal))
        {
            endToEnd = await EndToEndRun.MeasureAsync(new LineProgress(progress), cancellationToken);
        }

        MemoryFigures? memory = null;
        if (only.Length == 0 || only.Contains("Memory", StringComparison.Ordinal))
        {
            await progress.WriteLineAsync($"... memory: {PendingPods} pending pods in process");
            memory = await QueueMemory.MeasureAsync(PendingPods, cancellationToken);
        }

        SchedulerReport.Write(report, inProcess, endToEnd, memory, Stopwatch.GetElapsedTime(started));
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

}
