using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Events;
using Skiff.ControlPlane.Instrumentation;
using Skiff.ControlPlane.Scheduling.Cache;
using Skiff.ControlPlane.Scheduling.Configuration;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Queue;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>
/// Feeds a <see cref="Scheduler"/> from the API: a pods and a nodes informer keep the <see cref="SchedulerCache"/> (nodes,
/// bound pods) and the <see cref="SchedulingQueue"/> (unbound pods of a served schedulerName) current, and cluster events
/// that may help move unschedulable pods back; binds and failures go through <see cref="SchedulerApi"/>. One call of
/// <see cref="RunAsync"/> is one leadership term (the caller elects).
/// </summary>
public sealed class SchedulerRunner
{
    private readonly IKubernetes _client;
    private readonly IEventRecorder _events;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly Func<PluginFactoryContext, IReadOnlyList<Profile>> _profiles;

    /// <param name="client">The scheduler's API client.</param>
    /// <param name="events">Where FailedScheduling and Scheduled events go.</param>
    /// <param name="time">Clock.</param>
    /// <param name="loggers">Loggers.</param>
    /// <param name="profiles">Builds the profiles from the runner's listers; null: the default profile.</param>
    public SchedulerRunner(
        IKubernetes client, IEventRecorder events, TimeProvider time, ILoggerFactory loggers, Func<PluginFactoryContext, IReadOnlyList<Profile>>? profiles = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggers);
        _client = client;
        _events = events;
        _time = time;
        _loggers = loggers;
        _profiles = profiles ?? (context => [SchedulerConfiguration.CreateDefaultProfile(Profile.DefaultSchedulerName, context)]);
    }

    /// <summary>Workers for the Filter and Score phases; null: the core count.</summary>
    public int? Parallelism { get; init; }

    /// <summary>kube-scheduler's metrics (attempts, pending pods, preemptions); none when null.</summary>
    public SchedulerMetrics? Metrics { get; init; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var informers = new SharedInformerFactory(_client, _time, _loggers, TimeSpan.Zero);
        IReadOnlyList<Profile> profiles = _profiles(SchedulerListers.Create(informers));
        var served = new HashSet<string>(profiles.Select(p => p.SchedulerName), StringComparer.Ordinal);
        var gated = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var cache = new SchedulerCache(_time);
        using var queue = new SchedulingQueue(_time);
        var api = new SchedulerApi(_client, _events, _time);
        informers.Nodes().AddEventHandler(new InformerHandler<V1Node>(
            onAdd: node =>
            {
                cache.AddNode(node);
                queue.MoveAllToActiveOrBackoff(ClusterEvents.NodeAdd);
            },
            onUpdate: (old, node) =>
            {
                cache.UpdateNode(node);

                // Only changes a plugin looks at move pods; heartbeats and condition updates do not.
                foreach (string change in ClusterEvents.OfNodeUpdate(old, node))
                {
                    queue.MoveAllToActiveOrBackoff(change);
                }
            },
            onDelete: cache.RemoveNode));
        informers.Pods().AddEventHandler(new InformerHandler<V1Pod>(
            onAdd: pod => OnPod(pod, cache, queue, served, gated),
            onUpdate: (old, pod) => OnPod(pod, cache, queue, served, gated, old),
            onDelete: pod =>
            {
                gated.TryRemove(pod.Metadata?.Uid ?? string.Empty, out _);
                if (string.IsNullOrEmpty(pod.Spec?.NodeName))
                {
                    queue.Delete(pod);
                    return;
                }

                cache.RemovePod(pod);
                queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodDelete, pod);
            }));
        // A claim created or bound, a volume or a class added: pods VolumeBinding turned down may fit now.
        informers.PersistentVolumeClaims().AddEventHandler(StorageHandler<V1PersistentVolumeClaim>(queue));
        informers.PersistentVolumes().AddEventHandler(StorageHandler<V1PersistentVolume>(queue));
        informers.StorageClasses().AddEventHandler(StorageHandler<V1StorageClass>(queue));

        // Preemption spares victims whose eviction would exceed a PodDisruptionBudget where it can.
        SharedInformer<V1PodDisruptionBudget> pdbs = informers.PodDisruptionBudgets();
        informers.Start(cancellationToken);
        await informers.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false);
        var scheduler = new Scheduler(
            profiles,
            queue,
            cache,
            api.BindAsync,
            (pod, message, token) => api.ReportUnschedulableAsync(pod, message, token),
            _loggers.CreateLogger<Scheduler>(),
            Parallelism)
        {
            PreemptionApi = api,
            Metrics = Metrics,
            PodDisruptionBudgets = pdbs.Cache.List,
        };
        Metrics?.ObserveQueue(() => (queue.ActiveCount, queue.BackoffCount, queue.UnschedulableCount, gated.Count));
        try
        {
            await scheduler.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Metrics?.ObserveQueue(null);
        }
    }

    private static InformerHandler<T> StorageHandler<T>(SchedulingQueue queue)
        where T : class => new(
            onAdd: _ => queue.MoveAllToActiveOrBackoff(ClusterEvents.StorageChange),
            onUpdate: (_, _) => queue.MoveAllToActiveOrBackoff(ClusterEvents.StorageChange),
            onDelete: _ => { });

    private static void OnPod(
        V1Pod pod, SchedulerCache cache, SchedulingQueue queue, HashSet<string> served, ConcurrentDictionary<string, bool> gated, V1Pod? old = null)
    {
        bool terminal = pod.Status?.Phase is "Succeeded" or "Failed";
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            // Bound (by us, confirming an assumed pod, or by anyone else): it holds node resources until it ends.
            queue.Delete(pod);
            if (terminal)
            {
                cache.RemovePod(pod);
                queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodDelete, pod);
            }
            else
            {
                cache.AddPod(pod);
                if (string.IsNullOrEmpty(old?.Spec?.NodeName))
                {
                    // Newly bound: pods waiting on (anti-)affinity or spread with it may now fit, or no longer.
                    queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodAdd, pod);
                }
                else if (!SameLabels(old.Metadata?.Labels, pod.Metadata?.Labels))
                {
                    queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodUpdate, pod);
                }
            }

            return;
        }

        // Scheduling gates (upstream's SchedulingGates PreEnqueue plugin): the pod waits outside the queue until they are removed.
        bool isGated = pod.Spec?.SchedulingGates is { Count: > 0 } && !terminal && pod.Metadata.DeletionTimestamp is null;
        if (isGated)
        {
            gated[pod.Metadata.Uid ?? string.Empty] = true;
        }
        else
        {
            gated.TryRemove(pod.Metadata.Uid ?? string.Empty, out _);
        }

        if (terminal || pod.Metadata.DeletionTimestamp is not null || !served.Contains(pod.Spec?.SchedulerName ?? Profile.DefaultSchedulerName) || isGated)
        {
            queue.Delete(pod);
            return;
        }

        // An assumed pod is being bound; an older, unbound copy from the informer must not queue it again.
        if (!cache.IsAssumed(pod))
        {
            queue.Update(pod);
        }
    }

    private static bool SameLabels(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a is null || a.All(kv => b!.TryGetValue(kv.Key, out string? value) && value == kv.Value));
}
