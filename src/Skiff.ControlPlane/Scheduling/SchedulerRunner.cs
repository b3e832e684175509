using k8s;
using Skiff.ControlPlane.Scheduling.Plugins;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Events;
using Skiff.ControlPlane.Scheduling.Cache;
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
    private readonly Func<NamespaceLabelsLookup?, IReadOnlyList<Profile>> _profiles;

    /// <param name="client">The scheduler's API client.</param>
    /// <param name="events">Where FailedScheduling and Scheduled events go.</param>
    /// <param name="time">Clock.</param>
    /// <param name="loggers">Loggers.</param>
    /// <param name="profiles">Builds the profiles from a namespace-labels lookup; null: the default profile.</param>
    public SchedulerRunner(
        IKubernetes client, IEventRecorder events, TimeProvider time, ILoggerFactory loggers, Func<NamespaceLabelsLookup?, IReadOnlyList<Profile>>? profiles = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggers);
        _client = client;
        _events = events;
        _time = time;
        _loggers = loggers;
        _profiles = profiles ?? (namespaceLabels => [DefaultProfile.Create(namespaceLabels: namespaceLabels)]);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var informers = new SharedInformerFactory(_client, _time, _loggers, TimeSpan.Zero);
        SharedInformer<V1Namespace> namespaces = informers.Namespaces();
        IReadOnlyList<Profile> profiles = _profiles(name => namespaces.Cache.Get(null, name)?.Metadata?.Labels as IReadOnlyDictionary<string, string>);
        var served = new HashSet<string>(profiles.Select(p => p.SchedulerName), StringComparer.Ordinal);
        var cache = new SchedulerCache(_time);
        using var queue = new SchedulingQueue(_time);
        var api = new SchedulerApi(_client, _events, _time);
        informers.Nodes().AddEventHandler(new InformerHandler<V1Node>(
            onAdd: node =>
            {
                cache.AddNode(node);
                queue.MoveAllToActiveOrBackoff("NodeAdd");
            },
            onUpdate: (_, node) =>
            {
                cache.UpdateNode(node);
                queue.MoveAllToActiveOrBackoff("NodeUpdate");
            },
            onDelete: cache.RemoveNode));
        informers.Pods().AddEventHandler(new InformerHandler<V1Pod>(
            onAdd: pod => OnPod(pod, cache, queue, served),
            onUpdate: (_, pod) => OnPod(pod, cache, queue, served),
            onDelete: pod =>
            {
                if (string.IsNullOrEmpty(pod.Spec?.NodeName))
                {
                    queue.Delete(pod);
                    return;
                }

                cache.RemovePod(pod);
                queue.MoveAllToActiveOrBackoff("AssignedPodDelete");
            }));
        informers.Start(cancellationToken);
        await informers.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false);
        var scheduler = new Scheduler(
            profiles,
            queue,
            cache,
            api.BindAsync,
            (pod, message, token) => api.ReportUnschedulableAsync(pod, message, token),
            _loggers.CreateLogger<Scheduler>());
        await scheduler.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void OnPod(V1Pod pod, SchedulerCache cache, SchedulingQueue queue, HashSet<string> served)
    {
        bool terminal = pod.Status?.Phase is "Succeeded" or "Failed";
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            // Bound (by us, confirming an assumed pod, or by anyone else): it holds node resources until it ends.
            queue.Delete(pod);
            if (terminal)
            {
                cache.RemovePod(pod);
                queue.MoveAllToActiveOrBackoff("AssignedPodDelete");
            }
            else
            {
                cache.AddPod(pod);
            }

            return;
        }

        if (terminal || pod.Metadata.DeletionTimestamp is not null || !served.Contains(pod.Spec?.SchedulerName ?? Profile.DefaultSchedulerName))
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
}
