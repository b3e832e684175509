using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Instrumentation;
using Skiff.ControlPlane.Scheduling.Cache;
using Skiff.ControlPlane.Scheduling.Queue;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>
/// Runs scheduling cycles one after another (upstream's scheduleOne): pop a pod, snapshot the cache, filter and score the nodes
/// with the pod's profile, assume the pod on the chosen node, and bind it in the background so the next cycle starts at once.
/// A pod that fits nowhere goes back to the queue's unschedulable pods and the failure handler gets upstream's
/// FailedScheduling message (after the PostFilter phase, preemption, had its try); a plugin error or a failed bind is retried
/// after back-off. Not wired into the server yet.
/// </summary>
public sealed partial class Scheduler
{
    private readonly Dictionary<string, Profile> _profiles;
    private readonly SchedulingQueue _queue;
    private readonly SchedulerCache _cache;
    private readonly Func<V1Pod, string, CancellationToken, Task> _binder;
    private readonly Func<V1Pod, string, CancellationToken, Task>? _onFailure;
    private readonly ILogger<Scheduler> _logger;
    private readonly int _parallelism;

    /// <param name="profiles">One per schedulerName served.</param>
    /// <param name="queue">Pending pods.</param>
    /// <param name="cache">Nodes and the pods on them.</param>
    /// <param name="binder">Writes the binding (the real one POSTs pods/binding); throws when the bind failed.</param>
    /// <param name="onFailure">Records a failure (FailedScheduling event, PodScheduled=False) with the message; optional.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="parallelism">Workers for the Filter and Score phases; upstream's default is 16, ours the core count.</param>
    public Scheduler(
        IEnumerable<Profile> profiles,
        SchedulingQueue queue,
        SchedulerCache cache,
        Func<V1Pod, string, CancellationToken, Task> binder,
        Func<V1Pod, string, CancellationToken, Task>? onFailure,
        ILogger<Scheduler> logger,
        int? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(binder);
        ArgumentNullException.ThrowIfNull(logger);
        _profiles = profiles.ToDictionary(p => p.SchedulerName, StringComparer.Ordinal);
        _queue = queue;
        _cache = cache;
        _binder = binder;
        _onFailure = onFailure;
        _logger = logger;
        _parallelism = Math.Max(1, parallelism ?? Environment.ProcessorCount);
    }

    /// <summary>Schedules pods until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ScheduleOneAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                // The queue was closed: the scheduler is shutting down.
                return;
            }
        }
    }

    /// <summary>Where attempts and preemptions are counted (kube-scheduler's metric names); none when null.</summary>
    public SchedulerMetrics? Metrics { get; init; }

    /// <summary>
    /// One cycle: waits for a pod, schedules it and starts its bind. Returns without waiting for the bind
    /// (<see cref="ScheduleResult.Binding"/> completes when it is done); null if no profile serves the pod's schedulerName.
    /// </summary>
    public async Task<ScheduleResult?> ScheduleOneAsync(CancellationToken cancellationToken)
    {
        QueuedPodInfo info = await _queue.PopAsync(cancellationToken).ConfigureAwait(false);
        V1Pod pod = info.Pod;
        string schedulerName = string.IsNullOrEmpty(pod.Spec?.SchedulerName) ? Profile.DefaultSchedulerName : pod.Spec.SchedulerName;
        if (!_profiles.TryGetValue(schedulerName, out Profile? profile))
        {
            LogUnknownScheduler(pod.Metadata?.NamespaceProperty, pod.Metadata?.Name, schedulerName);
            _queue.Done(info);
            return null;
        }

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        ScheduleResult result;
        try
        {
            result = SchedulePod(profile, pod, _cache.UpdateSnapshot());
            if (result is { Succeeded: false, IsError: false, Fit: not null } && profile.PostFilter.Count > 0)
            {
                Metrics?.PreemptionAttempted();
                result = await RunPostFilterAsync(profile, result, cancellationToken).ConfigureAwait(false);
                if (result.NominatedNodeName is { } nominated)
                {
                    LogNominated(pod.Metadata?.NamespaceProperty, pod.Metadata?.Name, nominated);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A plugin that throws is a bug in it; the pod is retried after back-off instead of stopping every scheduling.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            result = new ScheduleResult(pod, null, exception.Message) { IsError = true };
        }

        if (result.NodeName is not string nodeName)
        {
            Metrics?.Attempted(schedulerName, result.IsError ? SchedulerMetrics.Error : SchedulerMetrics.Unschedulable, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            await HandleFailureAsync(info, result, cancellationToken).ConfigureAwait(false);
            return result;
        }

        // Assume first: the next cycle then counts this pod on the node although its binding is not written yet.
        V1Pod assumed = pod with { Spec = (pod.Spec ?? new V1PodSpec()) with { NodeName = nodeName } };
        try
        {
            _cache.AssumePod(assumed, nodeName);
        }
        catch (InvalidOperationException exception)
        {
            // Already in the cache: the informer saw it bound while it was being scheduled.
            Metrics?.Attempted(schedulerName, SchedulerMetrics.Error, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            result = new ScheduleResult(pod, null, exception.Message) { IsError = true };
            await HandleFailureAsync(info, result, cancellationToken).ConfigureAwait(false);
            return result;
        }

        Metrics?.Attempted(schedulerName, SchedulerMetrics.Scheduled, System.Diagnostics.Stopwatch.GetElapsedTime(started));

        // The pod is placed: it no longer holds room on a nominated node.
        _queue.DeleteNominatedPodIfExists(pod);
        LogAssumed(pod.Metadata?.NamespaceProperty, pod.Metadata?.Name, nodeName, result.FeasibleNodes, result.EvaluatedNodes);
        Task binding = Task.Run(() => BindAsync(info, assumed, nodeName, cancellationToken), CancellationToken.None);
        return result with { Binding = binding };
    }

    private async Task BindAsync(QueuedPodInfo info, V1Pod assumed, string nodeName, CancellationToken cancellationToken)
    {
        try
        {
            await _binder(info.Pod, nodeName, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Any bind failure (API error, conflict, shutdown) means the pod is not bound: undo and retry it.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogBindFailed(exception, info.Pod.Metadata?.NamespaceProperty, info.Pod.Metadata?.Name, nodeName);
            _cache.ForgetPod(assumed);
            _queue.AddBackoff(info);

            // The forgotten pod frees room on the node, which may help pods that did not fit meanwhile.
            _queue.MoveAllToActiveOrBackoff(Framework.ClusterEvents.AssignedPodDelete);
            if (!cancellationToken.IsCancellationRequested)
            {
                await ReportFailureAsync(info.Pod, $"Binding rejected: {exception.Message}", cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        _cache.FinishBinding(assumed);
        _queue.Done(info);
    }

    private async Task HandleFailureAsync(QueuedPodInfo info, ScheduleResult result, CancellationToken cancellationToken)
    {
        string message = result.FailureMessage ?? string.Empty;
        if (result.IsError)
        {
            LogSchedulingError(info.Pod.Metadata?.NamespaceProperty, info.Pod.Metadata?.Name, message);
            _queue.AddBackoff(info);
        }
        else
        {
            LogUnschedulable(info.Pod.Metadata?.NamespaceProperty, info.Pod.Metadata?.Name, message);
            _queue.AddUnschedulable(info, result.UnschedulablePlugins);
        }

        await ReportFailureAsync(info.Pod, message, cancellationToken).ConfigureAwait(false);
    }

    private async Task ReportFailureAsync(V1Pod pod, string message, CancellationToken cancellationToken)
    {
        if (_onFailure is null)
        {
            return;
        }

        try
        {
            await _onFailure(pod, message, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Failing to record an event must not stop the scheduler; it is logged.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogFailureHandlerThrew(exception, pod.Metadata?.NamespaceProperty, pod.Metadata?.Name);
        }
    }
}
