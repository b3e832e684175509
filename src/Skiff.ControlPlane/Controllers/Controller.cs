using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Instrumentation;
using Skiff.Machinery.Informers;
using Skiff.Machinery.Queues;

namespace Skiff.ControlPlane.Controllers;

/// <summary>
/// The plumbing every controller shares (upstream's pkg/controller pattern): informer handlers only enqueue
/// <c>namespace/name</c> keys into a de-duplicating, rate-limited <see cref="WorkQueue{T}"/>; once the caches synced, N workers
/// take keys and call <see cref="ReconcileAsync"/>, forgetting a key on success and requeueing it rate-limited on error.
/// A controller is registered with one <see cref="SharedInformerFactory"/> per leadership term; <see cref="Register"/> gives
/// it a fresh queue, so the same instance can lead again after losing the Lease.
/// </summary>
public abstract partial class Controller : IDisposable
{
    private readonly ILogger _logger;
    private WorkQueue<string>? _queue;
    private SharedInformerFactory? _informers;

    protected Controller(string name, int workers, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        Name = name;
        Workers = workers;
        TimeProvider = timeProvider;
        _logger = logger;
    }

    public string Name { get; }

    public int Workers { get; }

    protected TimeProvider TimeProvider { get; }

    /// <summary>Where the queue and reconcile metrics go; the manager sets it before <see cref="Register"/> (none: not measured).</summary>
    public ControllerMetrics? Metrics { get; set; }

    /// <summary>The queue of the current term; exists once <see cref="Register"/> ran.</summary>
    protected WorkQueue<string> Queue =>
        _queue ?? throw new InvalidOperationException($"The {Name} controller has not been registered with an informer factory.");

    /// <summary>
    /// Gives the controller a fresh queue and lets it ask <paramref name="informers"/> for the informers it reads and add its
    /// handlers. Call before the factory starts.
    /// </summary>
    public void Register(SharedInformerFactory informers)
    {
        ArgumentNullException.ThrowIfNull(informers);
        _queue?.ShutDown();
        _queue = new WorkQueue<string>(TimeProvider, Metrics?.ForQueue(Name));
        _informers = informers;
        AddInformerHandlers(informers);
    }

    /// <summary>
    /// Waits for the informers to sync, then runs the workers until <paramref name="cancellationToken"/> is cancelled; the
    /// queue is shut down on the way out.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        WorkQueue<string> queue = Queue;
        SharedInformerFactory informers = _informers ?? throw new InvalidOperationException("Register first.");
        try
        {
            await informers.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false);
            LogStarted(_logger, Name, Workers);
            Task[] workers = [.. Enumerable.Range(0, Workers).Select(_ => Task.Run(() => WorkAsync(queue, cancellationToken), CancellationToken.None))];
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancellation is the normal way out.
        }
        finally
        {
            queue.ShutDown();
            LogStopped(_logger, Name);
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _queue?.Dispose();
        }
    }

    /// <summary>Asks for informers and adds handlers that only enqueue keys (see <see cref="EnqueueHandler{T}"/>).</summary>
    protected abstract void AddInformerHandlers(SharedInformerFactory informers);

    /// <summary>
    /// Converges the object named by <paramref name="key"/> (<c>namespace/name</c>, or <c>name</c> when cluster-scoped) towards
    /// its desired state. Idempotent and level-based: reads the caches, writes through the API, and throws to be retried.
    /// </summary>
    protected abstract Task ReconcileAsync(string key, CancellationToken cancellationToken);

    protected void Enqueue(IKubernetesObject<V1ObjectMeta> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        Queue.Add(ObjectKeys.Of(obj));
    }

    /// <summary>A handler that enqueues the key of every added, updated and deleted object.</summary>
    protected InformerHandler<T> EnqueueHandler<T>()
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        new(onAdd: Enqueue, onUpdate: (_, updated) => Enqueue(updated), onDelete: Enqueue);

    /// <summary>
    /// A handler for objects a controller owns (pods, jobs): each event enqueues the owner through
    /// <paramref name="enqueueOwner"/>, and an update that changed the controller reference enqueues the old owner too, so a
    /// released object is noticed by the controller that let it go. <paramref name="onAdd"/> replaces the add action.
    /// </summary>
    protected static InformerHandler<T> OwnedObjectHandler<T>(Action<T> enqueueOwner, Action<T>? onAdd = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(enqueueOwner);
        return new InformerHandler<T>(
            onAdd: onAdd ?? enqueueOwner,
            onUpdate: (old, updated) =>
            {
                if (ReplicaSet.PodControl.ControllerOf(old.Metadata)?.Uid != ReplicaSet.PodControl.ControllerOf(updated.Metadata)?.Uid)
                {
                    enqueueOwner(old);
                }

                enqueueOwner(updated);
            },
            onDelete: enqueueOwner);
    }

    /// <summary>Takes one key and reconciles it; false once the queue shut down. Workers loop on this; tests call it directly.</summary>
    internal async Task<bool> ProcessNextAsync(WorkQueue<string> queue, CancellationToken cancellationToken)
    {
        WorkQueueItem<string> next = await queue.GetAsync(cancellationToken).ConfigureAwait(false);
        if (next.ShuttingDown)
        {
            return false;
        }

        string key = next.Item;
        try
        {
            await ReconcileAsync(key, cancellationToken).ConfigureAwait(false);
            queue.Forget(key);
            Metrics?.Reconciled(Name, succeeded: true);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception failure)
        {
            // Any failure is retried with per-key back-off; the controller must not stop for one bad object.
            LogReconcileFailed(_logger, Name, key, queue.NumRequeues(key) + 1, failure);
            Metrics?.Reconciled(Name, succeeded: false);
            queue.AddRateLimited(key);
        }
        finally
        {
            queue.Done(key);
        }

        return true;
    }

    internal Task<bool> ProcessNextAsync(CancellationToken cancellationToken) => ProcessNextAsync(Queue, cancellationToken);

    private async Task WorkAsync(WorkQueue<string> queue, CancellationToken cancellationToken)
    {
        while (await ProcessNextAsync(queue, cancellationToken).ConfigureAwait(false))
        {
        }
    }
}
