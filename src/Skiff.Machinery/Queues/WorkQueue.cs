namespace Skiff.Machinery.Queues;

/// <summary>
/// The controller work queue: keys go in from informer handlers, workers take them out with <see cref="GetAsync"/> and
/// call <see cref="Done"/> when finished.
/// <list type="bullet">
/// <item>De-duplicating: a key added again before a worker took it is queued once, because reconciliation is level-based and
/// one pass sees the latest state anyway.</item>
/// <item>A processing set: a key added while a worker holds it is queued again only after <see cref="Done"/>, so one key is
/// never reconciled by two workers at once.</item>
/// <item>Delays (<see cref="AddAfter"/>, <see cref="AddRateLimited"/>) run on the injected <see cref="TimeProvider"/>.</item>
/// </list>
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "WorkQueue is the Kubernetes term (STYLE.md §8).")]
public sealed class WorkQueue<T> : IDisposable
    where T : notnull
{
    private readonly TimeProvider _timeProvider;
    private readonly IRateLimiter<T> _rateLimiter;
    private readonly Lock _lock = new();
    private readonly Queue<T> _queue = new();
    private readonly HashSet<T> _dirty = [];
    private readonly HashSet<T> _processing = [];
    private readonly Dictionary<T, DelayedAdd> _delayed = [];
    private readonly LinkedList<TaskCompletionSource<WorkQueueItem<T>>> _waiters = new();
    private readonly IWorkQueueMetrics? _metrics;
    private readonly Dictionary<T, long> _queuedAt = [];
    private readonly Dictionary<T, long> _startedAt = [];
    private bool _shuttingDown;

    public WorkQueue(TimeProvider timeProvider)
        : this(timeProvider, new ExponentialRateLimiter<T>())
    {
    }

    public WorkQueue(TimeProvider timeProvider, IRateLimiter<T> rateLimiter, IWorkQueueMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(rateLimiter);
        _timeProvider = timeProvider;
        _rateLimiter = rateLimiter;
        _metrics = metrics;
    }

    /// <summary>A queue with the default exponential back-off that reports to <paramref name="metrics"/>.</summary>
    public WorkQueue(TimeProvider timeProvider, IWorkQueueMetrics? metrics)
        : this(timeProvider, new ExponentialRateLimiter<T>(), metrics)
    {
    }

    /// <summary>How many items wait to be taken (not counting those being processed or delayed).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    public bool IsShuttingDown
    {
        get
        {
            lock (_lock)
            {
                return _shuttingDown;
            }
        }
    }

    /// <summary>Queues <paramref name="item"/> unless it is already queued; ignored after <see cref="ShutDown"/>.</summary>
    public void Add(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        lock (_lock)
        {
            AddLocked(item);
        }
    }

    /// <summary>Queues <paramref name="item"/> once <paramref name="delay"/> has passed; an earlier pending delay wins.</summary>
    public void AddAfter(T item, TimeSpan delay)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (delay <= TimeSpan.Zero)
        {
            Add(item);
            return;
        }

        lock (_lock)
        {
            if (_shuttingDown)
            {
                return;
            }

            DateTimeOffset readyAt = _timeProvider.GetUtcNow() + delay;
            if (_delayed.TryGetValue(item, out DelayedAdd? pending))
            {
                if (pending.ReadyAt <= readyAt)
                {
                    return;
                }

                pending.Timer?.Dispose();
            }

            var added = new DelayedAdd(readyAt);
            _delayed[item] = added;
            // The timer is created under the lock but its callback takes the lock itself, so a zero-length fire waits for us.
            added.Timer = _timeProvider.CreateTimer(_ => FireDelayed(item, added), null, delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Queues <paramref name="item"/> after its rate limiter's back-off (one more failure recorded).</summary>
    public void AddRateLimited(T item)
    {
        _metrics?.Retried();
        AddAfter(item, _rateLimiter.NextDelay(item));
    }

    /// <summary>Resets the back-off of <paramref name="item"/>; call it when the item was processed successfully.</summary>
    public void Forget(T item) => _rateLimiter.Forget(item);

    /// <summary>How many times <paramref name="item"/> was requeued rate-limited since it was last forgotten.</summary>
    public int NumRequeues(T item) => _rateLimiter.NumRequeues(item);

    /// <summary>
    /// Takes the next item, waiting until there is one. Returns <see cref="WorkQueueItem{T}.ShuttingDown"/> once the queue
    /// shut down and is drained.
    /// </summary>
    public Task<WorkQueueItem<T>> GetAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TaskCompletionSource<WorkQueueItem<T>> waiter;
        LinkedListNode<TaskCompletionSource<WorkQueueItem<T>>> node;
        lock (_lock)
        {
            if (_queue.TryDequeue(out T? item))
            {
                _dirty.Remove(item);
                _processing.Add(item);
                StartedLocked(item);
                return Task.FromResult(WorkQueueItem<T>.Of(item));
            }

            if (_shuttingDown)
            {
                return Task.FromResult(WorkQueueItem<T>.ShutDown());
            }

            waiter = new TaskCompletionSource<WorkQueueItem<T>>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiters.AddLast(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            CancellationTokenRegistration registration = cancellationToken.Register(() =>
            {
                lock (_lock)
                {
                    // Under the lock: either a hand-off already completed the waiter (the item is the caller's), or it is
                    // still listed and is cancelled here, never both.
                    if (node.List is not null)
                    {
                        _waiters.Remove(node);
                        waiter.TrySetCanceled(cancellationToken);
                    }
                }
            });
            _ = waiter.Task.ContinueWith(
                static (_, state) => ((CancellationTokenRegistration)state!).Dispose(),
                registration,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        return waiter.Task;
    }

    /// <summary>Marks <paramref name="item"/> as finished; if it was added meanwhile, it is queued again now.</summary>
    public void Done(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        lock (_lock)
        {
            _processing.Remove(item);
            if (_metrics is not null && _startedAt.Remove(item, out long started))
            {
                _metrics.Finished(_timeProvider.GetElapsedTime(started));
            }

            if (_dirty.Contains(item))
            {
                EnqueueLocked(item);
            }
        }
    }

    /// <summary>
    /// Stops accepting items and cancels pending delays. Workers still get what is queued, then
    /// <see cref="WorkQueueItem{T}.ShuttingDown"/>.
    /// </summary>
    public void ShutDown()
    {
        lock (_lock)
        {
            _shuttingDown = true;
            foreach (DelayedAdd pending in _delayed.Values)
            {
                pending.Timer?.Dispose();
            }

            _delayed.Clear();
            while (_waiters.First is { } first)
            {
                _waiters.RemoveFirst();
                first.Value.TrySetResult(WorkQueueItem<T>.ShutDown());
            }
        }
    }

    public void Dispose() => ShutDown();

    private void FireDelayed(T item, DelayedAdd added)
    {
        lock (_lock)
        {
            if (!_delayed.TryGetValue(item, out DelayedAdd? current) || !ReferenceEquals(current, added))
            {
                return;
            }

            _delayed.Remove(item);
            added.Timer?.Dispose();
            AddLocked(item);
        }
    }

    private void AddLocked(T item)
    {
        if (_shuttingDown || !_dirty.Add(item))
        {
            return;
        }

        if (!_processing.Contains(item))
        {
            EnqueueLocked(item);
        }
    }

    private void EnqueueLocked(T item)
    {
        if (_metrics is not null)
        {
            _queuedAt[item] = _timeProvider.GetTimestamp();
            _metrics.Added(_queue.Count + 1);
        }

        // A waiting worker takes the item directly; otherwise it waits in FIFO order.
        if (_waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            _dirty.Remove(item);
            _processing.Add(item);
            StartedLocked(item);
            first.Value.SetResult(WorkQueueItem<T>.Of(item));
            return;
        }

        _queue.Enqueue(item);
    }

    private void StartedLocked(T item)
    {
        if (_metrics is null)
        {
            return;
        }

        long now = _timeProvider.GetTimestamp();
        TimeSpan waited = _queuedAt.Remove(item, out long queued) ? _timeProvider.GetElapsedTime(queued, now) : TimeSpan.Zero;
        _startedAt[item] = now;
        _metrics.Taken(_queue.Count, waited);
    }

    private sealed class DelayedAdd(DateTimeOffset readyAt)
    {
        public DateTimeOffset ReadyAt { get; } = readyAt;

        public ITimer? Timer { get; set; }
    }
}
