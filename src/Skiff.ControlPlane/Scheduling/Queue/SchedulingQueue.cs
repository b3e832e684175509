using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Queue;

/// <summary>
/// The scheduler's pending pods (upstream's PriorityQueue): activeQ, ordered by spec.priority (higher first) and then by the
/// time the pod entered the queue; backoffQ, pods that failed and wait out a per-pod exponential back-off (1 s doubling to
/// 10 s); and the unschedulable pods, which wait for a cluster event that may help them (<see cref="MoveAllToActiveOrBackoff"/>)
/// or for 5 minutes. Only activeQ is popped, so a pod in back-off never blocks the pods behind it. Thread-safe.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "SchedulingQueue is the Kubernetes term (STYLE.md §8).")]
public sealed partial class SchedulingQueue : IDisposable
{
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    /// <summary>Upstream's podMaxInUnschedulablePodsDuration: a pod no event helped is retried after this long anyway.</summary>
    public static readonly TimeSpan MaxInUnschedulable = TimeSpan.FromMinutes(5);

    // Upstream flushes backoffQ every second and looks at the unschedulable pods every 30 seconds.
    private static readonly TimeSpan s_backoffFlushPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_unschedulableFlushPeriod = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly SortedSet<QueuedPodInfo> _active = new(Comparer<QueuedPodInfo>.Create(CompareActive));
    private readonly SortedSet<QueuedPodInfo> _backoff = new(Comparer<QueuedPodInfo>.Create(CompareBackoff));
    private readonly Dictionary<string, QueuedPodInfo> _activeByUid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueuedPodInfo> _backoffByUid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QueuedPodInfo> _unschedulable = new(StringComparer.Ordinal);

    // Popped and being scheduled; a Delete meanwhile removes the entry so the pod is not queued again when its cycle ends.
    private readonly Dictionary<string, QueuedPodInfo> _inFlight = new(StringComparer.Ordinal);
    private readonly ITimer _backoffTimer;
    private readonly ITimer _unschedulableTimer;
    private readonly IReadOnlyDictionary<string, IReadOnlySet<string>> _interests;
    private TaskCompletionSource? _waiter;
    private long _sequence;
    private long _schedulingCycle;

    private bool _closed;

    /// <param name="time">Clock for back-off and the unschedulable flush.</param>
    /// <param name="interests">Which cluster events can help a pod each plugin rejected; default <see cref="ClusterEvents.DefaultInterests"/>.</param>
    public SchedulingQueue(TimeProvider time, IReadOnlyDictionary<string, IReadOnlySet<string>>? interests = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _interests = interests ?? ClusterEvents.DefaultInterests;
        _backoffTimer = time.CreateTimer(_ => FlushBackoffCompleted(), null, s_backoffFlushPeriod, s_backoffFlushPeriod);
        _unschedulableTimer = time.CreateTimer(_ => FlushUnschedulableLeftover(), null, s_unschedulableFlushPeriod, s_unschedulableFlushPeriod);
    }

    public int ActiveCount
    {
        get
        {
            lock (_lock)
            {
                return _active.Count;
            }
        }
    }

    public int BackoffCount
    {
        get
        {
            lock (_lock)
            {
                return _backoff.Count;
            }
        }
    }

    public int UnschedulableCount
    {
        get
        {
            lock (_lock)
            {
                return _unschedulable.Count;
            }
        }
    }

    /// <summary>The back-off after <paramref name="attempts"/> failed attempts: 1 s, 2 s, 4 s, 8 s, then 10 s.</summary>
    public static TimeSpan BackoffDuration(int attempts)
    {
        TimeSpan duration = InitialBackoff;
        for (int i = 1; i < attempts; i++)
        {
            if (duration > MaxBackoff - duration)
            {
                return MaxBackoff;
            }

            duration += duration;
        }

        return duration;
    }

    /// <summary>A new pending pod (informer add); an already queued pod is updated instead.</summary>
    public void Add(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            UpdateNominationLocked(QueuedPodLocked(UidOf(pod)), pod);
            if (Contains(UidOf(pod)))
            {
                UpdateLocked(pod);
                return;
            }

            AddActiveLocked(new QueuedPodInfo(pod, _time.GetUtcNow(), _sequence++));
        }
    }

    /// <summary>Waits for the next pod in activeQ and hands it out for one scheduling attempt.</summary>
    public async Task<QueuedPodInfo> PopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_closed, this);
                if (_active.Min is QueuedPodInfo next)
                {
                    _active.Remove(next);
                    _activeByUid.Remove(next.Uid);
                    next.Attempts++;
                    next.SchedulingCycle = ++_schedulingCycle;
                    _inFlight[next.Uid] = next;
                    return next;
                }

                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                signal = _waiter.Task;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The popped pod was scheduled (or given up on): it leaves the queue for good.</summary>
    public void Done(QueuedPodInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        lock (_lock)
        {
            _inFlight.Remove(info.Uid);
        }
    }

    /// <summary>
    /// The popped pod fits no node: it waits among the unschedulable pods for a helpful event, or in backoffQ if such an event
    /// came while it was being scheduled. Ignored if the pod was deleted meanwhile.
    /// </summary>
    public void AddUnschedulable(QueuedPodInfo info, IEnumerable<string> rejectorPlugins)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(rejectorPlugins);
        lock (_lock)
        {
            if (!_inFlight.Remove(info.Uid) || _closed)
            {
                return;
            }

            info.UnschedulablePlugins = rejectorPlugins.ToHashSet(StringComparer.Ordinal);
            info.Timestamp = _time.GetUtcNow();
            if (MissedHelpfulEventLocked(info))
            {
                AddBackoffLocked(info);
            }
            else
            {
                _unschedulable[info.Uid] = info;
            }
        }
    }

    /// <summary>The popped pod failed for another reason (a plugin error, a failed bind): retried after its back-off.</summary>
    public void AddBackoff(QueuedPodInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        lock (_lock)
        {
            if (!_inFlight.Remove(info.Uid) || _closed)
            {
                return;
            }

            info.Timestamp = _time.GetUtcNow();
            AddBackoffLocked(info);
        }
    }

    /// <summary>
    /// A cluster event (one of <see cref="ClusterEvents"/>: node added or changed, pod deleted, …): every unschedulable pod it
    /// may help (<see cref="ClusterEvents.MayHelp"/>: one of the plugins that rejected the pod listens to it) moves to activeQ,
    /// or to backoffQ if its back-off has not run out; the others keep waiting.
    /// </summary>
    /// <param name="eventName">One of <see cref="ClusterEvents"/>.</param>
    /// <param name="changed">The assigned pod an AssignedPod* event is about, for the object-level hints; null when unknown.</param>
    public void MoveAllToActiveOrBackoff(string eventName, V1Pod? changed = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        lock (_lock)
        {
            RecordEventInFlightLocked(eventName);
            if (_unschedulable.Count > 0)
            {
                MoveLocked([.. _unschedulable.Values.Where(p => ClusterEvents.MayHelp(eventName, p.UnschedulablePlugins, _interests, p.Pod, changed))]);
            }
        }
    }

    /// <summary>A queued pod changed (informer update). An unschedulable pod whose spec, labels or annotations changed is retried.</summary>
    public void Update(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            UpdateNominationLocked(QueuedPodLocked(UidOf(pod)), pod);
            UpdateLocked(pod);
        }
    }

    /// <summary>The pod was deleted or got a node: it leaves every queue.</summary>
    public void Delete(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        string uid = UidOf(pod);
        lock (_lock)
        {
            if (_activeByUid.Remove(uid, out QueuedPodInfo? active))
            {
                _active.Remove(active);
            }

            if (_backoffByUid.Remove(uid, out QueuedPodInfo? backingOff))
            {
                _backoff.Remove(backingOff);
            }

            _unschedulable.Remove(uid);
            _inFlight.Remove(uid);
            _nominated.Remove(uid);
        }
    }

    /// <summary>Stops the timers; pending and later <see cref="PopAsync"/> calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            _closed = true;
            waiter = _waiter;
            _waiter = null;
        }

        _backoffTimer.Dispose();
        _unschedulableTimer.Dispose();
        waiter?.TrySetResult();
    }

    /// <summary>Moves pods whose back-off ran out to activeQ (upstream flushBackoffQCompleted; runs every second).</summary>
    internal void FlushBackoffCompleted()
    {
        lock (_lock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            while (_backoff.Min is QueuedPodInfo first && first.BackoffExpiry <= now)
            {
                _backoff.Remove(first);
                _backoffByUid.Remove(first.Uid);
                AddActiveLocked(first);
            }
        }
    }

    /// <summary>Retries pods that stayed unschedulable for <see cref="MaxInUnschedulable"/> (runs every 30 seconds).</summary>
    internal void FlushUnschedulableLeftover()
    {
        lock (_lock)
        {
            DateTimeOffset now = _time.GetUtcNow();
            MoveLocked([.. _unschedulable.Values.Where(p => now - p.Timestamp >= MaxInUnschedulable)]);
        }
    }

    private void MoveLocked(IReadOnlyList<QueuedPodInfo> pods)
    {
        DateTimeOffset now = _time.GetUtcNow();
        foreach (QueuedPodInfo info in pods)
        {
            _unschedulable.Remove(info.Uid);
            if (info.Timestamp + BackoffDuration(info.Attempts) > now)
            {
                AddBackoffLocked(info);
            }
            else
            {
                AddActiveLocked(info);
            }
        }
    }

    private void UpdateLocked(V1Pod pod)
    {
        string uid = UidOf(pod);
        if (_activeByUid.TryGetValue(uid, out QueuedPodInfo? active))
        {
            // Priority is part of the order key: take the pod out before changing it.
            _active.Remove(active);
            active.Pod = pod;
            _active.Add(active);
        }
        else if (_backoffByUid.TryGetValue(uid, out QueuedPodInfo? backingOff))
        {
            backingOff.Pod = pod;
        }
        else if (_unschedulable.TryGetValue(uid, out QueuedPodInfo? waiting))
        {
            bool changed = !SameSchedulingInputs(waiting.Pod, pod);
            waiting.Pod = pod;
            if (changed)
            {
                MoveLocked([waiting]);
            }
        }
        else if (_inFlight.TryGetValue(uid, out QueuedPodInfo? scheduling))
        {
            scheduling.Pod = pod;
        }
        else
        {
            AddActiveLocked(new QueuedPodInfo(pod, _time.GetUtcNow(), _sequence++));
        }
    }

    private void AddActiveLocked(QueuedPodInfo info)
    {
        info.Sequence = _sequence++;
        _active.Add(info);
        _activeByUid[info.Uid] = info;
        TaskCompletionSource? waiter = _waiter;
        _waiter = null;
        waiter?.TrySetResult();
    }

    private void AddBackoffLocked(QueuedPodInfo info)
    {
        info.Sequence = _sequence++;
        info.BackoffExpiry = info.Timestamp + BackoffDuration(info.Attempts);
        _backoff.Add(info);
        _backoffByUid[info.Uid] = info;
    }
}
