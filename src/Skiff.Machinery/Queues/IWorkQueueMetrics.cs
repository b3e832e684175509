namespace Skiff.Machinery.Queues;

/// <summary>
/// What a <see cref="WorkQueue{T}"/> reports, the hooks behind upstream's workqueue_* metrics (client-go
/// workqueue.MetricsProvider). Implementations must be cheap and thread-safe; they are called under the queue's lock.
/// </summary>
public interface IWorkQueueMetrics
{
    /// <summary>An item was queued (not counting de-duplicated adds); <paramref name="depth"/> is the new queue length.</summary>
    void Added(int depth);

    /// <summary>A worker took an item that waited <paramref name="waited"/>; <paramref name="depth"/> is the new length.</summary>
    void Taken(int depth, TimeSpan waited);

    /// <summary>A worker finished an item after <paramref name="worked"/>.</summary>
    void Finished(TimeSpan worked);

    /// <summary>An item was requeued with back-off after a failure.</summary>
    void Retried();
}
