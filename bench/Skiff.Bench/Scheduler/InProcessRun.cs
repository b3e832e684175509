using System.Diagnostics;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Scheduling;
using Skiff.ControlPlane.Scheduling.Cache;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;
using Skiff.ControlPlane.Scheduling.Queue;
using Sched = Skiff.ControlPlane.Scheduling.Scheduler;

namespace Skiff.Bench.Scheduler;

/// <summary>What one in-process run achieved: pods/s over the measured pods and the per-cycle latency (pop → assumed).</summary>
internal sealed record CycleFigures(int Pods, TimeSpan Elapsed, Latency Latency)
{
    /// <summary>In process only: full (gen2) garbage collections during the measured cycles.</summary>
    public int Gen2Collections { get; init; }

    /// <summary>End to end only: when the clients' last request (create, or create and bind) was answered.</summary>
    public TimeSpan ClientsDone { get; init; }

    public double PerSecond => Elapsed > TimeSpan.Zero ? Pods / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Drives Skiff's scheduler directly, without an API server: the nodes go into a <see cref="SchedulerCache"/>, the pods into a
/// <see cref="SchedulingQueue"/>, and <see cref="Sched.ScheduleOneAsync"/> runs cycle after cycle with the default profile and a
/// binder that completes at once (so the bind's cache and queue bookkeeping runs, but no request is made).
/// </summary>
internal static class InProcessRun
{
    public static async Task<CycleFigures> DefaultProfileAsync(InProcessCase c, CancellationToken cancellationToken)
    {
        SchedulerCache cache = NewCache(c);
        using var queue = new SchedulingQueue(TimeProvider.System);
        int? parallelism = int.TryParse(Environment.GetEnvironmentVariable("SKIFF_BENCH_SCHEDULER_PARALLELISM"), out int p) ? p : null;
        var scheduler = new Sched([DefaultProfile.Create()], queue, cache, (_, _, _) => Task.CompletedTask, null, NullLogger<Sched>.Instance, parallelism);

        // upstream's init pods: scheduled first, not measured.
        await ScheduleAsync(scheduler, queue, Pods(c.Shape, c.InitNamespace, c.InitPods, 0), null, cancellationToken);
        var latency = new Latency();
        List<V1Pod> measured = Pods(c.Shape, c.MeasureNamespace, c.MeasurePods, c.InitPods);
        int gen2 = GC.CollectionCount(2);
        TimeSpan elapsed = await ScheduleAsync(scheduler, queue, measured, latency, cancellationToken);
        return new CycleFigures(c.MeasurePods, elapsed, latency) { Gen2Collections = GC.CollectionCount(2) - gen2 };
    }

    /// <summary>
    /// The baseline: the same cache, snapshot and assume path, but each cycle runs only NodeResourcesFit's Filter over the
    /// snapshot (from a rotating start, as the scheduler does) and takes the first node that fits.
    /// </summary>
    public static CycleFigures FirstFit(InProcessCase c, CancellationToken cancellationToken)
    {
        SchedulerCache cache = NewCache(c);
        var fit = new NodeResourcesFit();
        int next = 0;
        void Place(V1Pod pod)
        {
            ClusterSnapshot snapshot = cache.UpdateSnapshot();
            var state = new CycleState();
            fit.PreFilter(state, pod, snapshot);
            int count = snapshot.Nodes.Count;
            for (int i = 0; i < count; i++)
            {
                NodeInfo node = snapshot.Nodes[(next + i) % count];
                if (fit.Filter(state, pod, node).IsSuccess)
                {
                    next = (next + i + 1) % count;
                    cache.AssumePod(pod with { Spec = pod.Spec with { NodeName = node.Name } }, node.Name);
                    return;
                }
            }

            throw new InvalidOperationException($"first fit found no node for {pod.Metadata.Name}");
        }

        foreach (V1Pod pod in Pods(c.Shape, c.InitNamespace, c.InitPods, 0))
        {
            Place(pod);
        }

        List<V1Pod> measured = Pods(c.Shape, c.MeasureNamespace, c.MeasurePods, c.InitPods);
        var latency = new Latency();
        int gen2 = GC.CollectionCount(2);
        long started = Stopwatch.GetTimestamp();
        foreach (V1Pod pod in measured)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long t0 = Stopwatch.GetTimestamp();
            Place(pod);
            latency.RecordSince(t0);
        }

        return new CycleFigures(c.MeasurePods, Stopwatch.GetElapsedTime(started), latency) { Gen2Collections = GC.CollectionCount(2) - gen2 };
    }

    private static SchedulerCache NewCache(InProcessCase c)
    {
        var cache = new SchedulerCache(TimeProvider.System);
        for (int i = 0; i < c.Nodes; i++)
        {
            cache.AddNode(Workloads.Node(i, zoned: c.Shape == PodShape.NodeAffinity));
        }

        cache.UpdateSnapshot();
        return cache;
    }

    private static List<V1Pod> Pods(PodShape shape, string ns, int count, int first) =>
        [.. Enumerable.Range(first, count).Select(i => Workloads.Pod(shape, ns, i))];

    // Queues every pod (untimed), then times the cycles until each one is assumed; waits for the binds before returning.
    private static async Task<TimeSpan> ScheduleAsync(Sched scheduler, SchedulingQueue queue, List<V1Pod> pods, Latency? latency, CancellationToken cancellationToken)
    {
        foreach (V1Pod pod in pods)
        {
            queue.Add(pod);
        }

        var binds = new List<Task>(pods.Count);
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < pods.Count; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            ScheduleResult result = await scheduler.ScheduleOneAsync(cancellationToken) ?? throw new InvalidOperationException("no profile served a pod");
            latency?.RecordSince(t0);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException($"{result.Pod.Metadata.Name} did not schedule: {result.FailureMessage}");
            }

            binds.Add(result.Binding);
        }

        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        await Task.WhenAll(binds);
        return elapsed;
    }
}
