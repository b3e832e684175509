using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Skiff.Machinery.Informers;

/// <summary>
/// One resource type's list-and-watch, an indexed local <see cref="Cache"/>, and notifications to handlers registered before
/// <see cref="RunAsync"/>. Handlers run one at a time, in registration order, after the cache already holds the change.
/// Objects handed to handlers and returned by the cache are the cached instances: clone before mutating (STYLE.md §2f).
/// </summary>
public sealed partial class SharedInformer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ListWatch<T> _listWatch;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly TimeSpan _resyncPeriod;
    private readonly List<IInformerHandler<T>> _handlers = [];
    // Serializes cache changes with their notifications, and resyncs with both, so handlers see changes in order.
    private readonly Lock _dispatchLock = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;

    /// <summary>
    /// An informer over <paramref name="listWatch"/>; every <paramref name="resyncPeriod"/> each cached object is handed to
    /// OnUpdate again (zero turns resync off); <paramref name="indexers"/> name the cache's index functions.
    /// </summary>
    public SharedInformer(
        ListWatch<T> listWatch,
        TimeProvider timeProvider,
        ILogger<SharedInformer<T>> logger,
        TimeSpan resyncPeriod,
        IReadOnlyDictionary<string, Func<T, IEnumerable<string>>>? indexers = null)
    {
        ArgumentNullException.ThrowIfNull(listWatch);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(resyncPeriod, TimeSpan.Zero);
        _listWatch = listWatch;
        _timeProvider = timeProvider;
        _logger = logger;
        _resyncPeriod = resyncPeriod;
        Cache = new InformerCache<T>(indexers);
    }

    /// <summary>The local copy; complete once <see cref="HasSynced"/> is true.</summary>
    public InformerCache<T> Cache { get; }

    /// <summary>True once the first list is in the cache and its notifications were delivered.</summary>
    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>Registers a handler; only before <see cref="RunAsync"/>, so that no handler misses the initial adds.</summary>
    /// <exception cref="InvalidOperationException">The informer already started.</exception>
    public void AddEventHandler(IInformerHandler<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_dispatchLock)
        {
            if (Volatile.Read(ref _started) != 0)
            {
                throw new InvalidOperationException("Event handlers must be added before the informer starts.");
            }

            _handlers.Add(handler);
        }
    }

    /// <summary>Completes once <see cref="HasSynced"/> is true.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>Lists, watches and resyncs until <paramref name="cancellationToken"/> is cancelled. Runs at most once.</summary>
    /// <exception cref="InvalidOperationException">The informer already started.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        lock (_dispatchLock)
        {
            if (Interlocked.Exchange(ref _started, 1) != 0)
            {
                throw new InvalidOperationException("The informer already started.");
            }
        }

        var reflector = new Reflector<T>(_listWatch, this, _timeProvider, _logger);
        ITimer? resync = _resyncPeriod > TimeSpan.Zero
            ? _timeProvider.CreateTimer(_ => Resync(), null, _resyncPeriod, _resyncPeriod)
            : null;
        try
        {
            await reflector.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (resync is not null)
            {
                await resync.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Applies a full list: adds and updates in list order, then deletes for what the list no longer has.</summary>
    internal void Replace(IReadOnlyList<T> items)
    {
        lock (_dispatchLock)
        {
            var listed = new HashSet<string>(StringComparer.Ordinal);
            foreach (T item in items)
            {
                listed.Add(ObjectKeys.Of(item));
                StripManagedFields(item);
                T? old = Cache.Upsert(item);
                Notify(old, item);
            }

            foreach (string key in Cache.ListKeys())
            {
                if (!listed.Contains(key) && Cache.Remove(key) is { } gone)
                {
                    Dispatch(h => h.OnDelete(gone));
                }
            }

            _synced.TrySetResult();
        }
    }

    /// <summary>Applies one watch event to the cache, then tells the handlers.</summary>
    internal void Apply(WatchEventType type, T obj)
    {
        lock (_dispatchLock)
        {
            if (type == WatchEventType.Deleted)
            {
                Cache.Remove(ObjectKeys.Of(obj));
                Dispatch(h => h.OnDelete(obj));
                return;
            }

            StripManagedFields(obj);
            T? old = Cache.Upsert(obj);
            Notify(old, obj);
        }
    }

    // No controller reads field ownership, and it is often the largest part of an object's metadata: the cache drops it, as
    // kube-controller-manager's informers do (TransformStripManagedFields). Writes never send it back: the API server keeps
    // the stored ownership on every write but server-side apply.
    private static void StripManagedFields(T obj)
    {
        if (obj.Metadata is { } metadata)
        {
            metadata.ManagedFields = null;
        }
    }

    private void Notify(T? old, T current)
    {
        if (old is null)
        {
            Dispatch(h => h.OnAdd(current));
        }
        else
        {
            Dispatch(h => h.OnUpdate(old, current));
        }
    }

    private void Resync()
    {
        lock (_dispatchLock)
        {
            if (!HasSynced)
            {
                return;
            }

            // Resync re-delivers the cache, not the server: it lets level-based controllers retry what they dropped.
            foreach (T obj in Cache.List())
            {
                Dispatch(h => h.OnUpdate(obj, obj));
            }
        }
    }

    private void Dispatch(Action<IInformerHandler<T>> notify)
    {
        foreach (IInformerHandler<T> handler in _handlers)
        {
            try
            {
                notify(handler);
            }
#pragma warning disable CA1031 // One broken handler must not starve the others or stop the informer; it is logged.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogHandlerFailed(typeof(T).Name, ex);
            }
        }
    }

    [LoggerMessage(EventId = 5110, Level = LogLevel.Error, Message = "A {Resource} informer event handler threw.")]
    private partial void LogHandlerFailed(string resource, Exception exception);
}
