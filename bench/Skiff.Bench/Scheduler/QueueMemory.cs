using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Scheduling;
using Skiff.ControlPlane.Scheduling.Cache;
using Skiff.ControlPlane.Scheduling.Queue;
using Sched = Skiff.ControlPlane.Scheduling.Scheduler;

namespace Skiff.Bench.Scheduler;

/// <summary>Managed heap (after a full blocking GC) at each step of holding 100,000 pending pods in process.</summary>
internal sealed record MemoryFigures(int Pods, long Empty, long PodsOnly, long Queued, long AfterOneAttempt, int Unschedulable)
{
    /// <summary>The process's resident set at the same four points (after the same full GCs).</summary>
    public (long Empty, long PodsOnly, long Queued, long AfterOneAttempt) Rss { get; init; }

    /// <summary>The process's resident set with every pod tried once: what the whole bench process holds for the backlog.</summary>
    public long RssGrowth => Rss.AfterOneAttempt - Rss.Empty;

    /// <summary>What the informer would hold anyway: the pod objects.</summary>
    public long PodBytes => PodsOnly - Empty;

    public long QueueBytes => Queued - PodsOnly;

    public long AttemptedBytes => AfterOneAttempt - PodsOnly;
}

/// <summary>
/// The scheduler's memory for a large backlog, in process: 100,000 pod-default pods are built (the objects an informer holds
/// anyway: the baseline), queued, and each tried once against a cluster with no nodes so it ends among the unschedulable pods
/// with its failure recorded. GC.GetTotalMemory(forceFullCollection) after each step; the scheduler's cost is the growth over
/// the pods alone.
/// </summary>
internal static class QueueMemory
{
    public static async Task<MemoryFigures> MeasureAsync(int count, CancellationToken cancellationToken)
    {
        long empty = GC.GetTotalMemory(forceFullCollection: true);
        long rssEmpty = Rss();
        var pods = new List<V1Pod>(count);
        for (int i = 0; i < count; i++)
        {
            pods.Add(Workloads.Pod(PodShape.Default, "pending", i));
        }

        long podsOnly = GC.GetTotalMemory(forceFullCollection: true);
        long rssPods = Rss();
        var cache = new SchedulerCache(TimeProvider.System);
        using var queue = new SchedulingQueue(TimeProvider.System);
        var scheduler = new Sched([DefaultProfile.Create()], queue, cache, (_, _, _) => Task.CompletedTask, null, NullLogger<Sched>.Instance);
        foreach (V1Pod pod in pods)
        {
            queue.Add(pod);
        }

        long queued = GC.GetTotalMemory(forceFullCollection: true);
        long rssQueued = Rss();
        for (int i = 0; i < count; i++)
        {
            ScheduleResult? result = await scheduler.ScheduleOneAsync(cancellationToken);
            if (result is null || result.Succeeded)
            {
                throw new InvalidOperationException("a pod scheduled on a cluster without nodes");
            }
        }

        long attempted = GC.GetTotalMemory(forceFullCollection: true);
        long rssAttempted = Rss();
        int unschedulable = queue.UnschedulableCount;
        GC.KeepAlive(pods);
        GC.KeepAlive(cache);
        return new MemoryFigures(count, empty, podsOnly, queued, attempted, unschedulable) { Rss = (rssEmpty, rssPods, rssQueued, rssAttempted) };
    }

    private static long Rss()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
