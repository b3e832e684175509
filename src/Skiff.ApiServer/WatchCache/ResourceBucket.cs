using Skiff.Store;

namespace Skiff.ApiServer.WatchCache;

/// <summary>
/// The cached objects of one resource, the recent history of their changes (for watches that resume from a resourceVersion),
/// and the attached watchers. All state is guarded by one lock; readers get snapshots.
/// </summary>
internal sealed class ResourceBucket
{
    // Enough history for a watcher to resume after a short disconnect; older resourceVersions get 410 Gone and relist.
    private const int HistoryLimit = 20000;

    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, CachedObject> _objects = new(StringComparer.Ordinal);
    private readonly Queue<CacheEvent> _history = new();
    private readonly List<CacheWatcher> _watchers = [];
    private long _oldestRetained;
    private long _jsonBytes;
    private long _approximateBytes;
    private long _version;
    private bool _retired;

    /// <summary>Grows with every change and relist, so readers that index the content (RBAC) know when to rebuild.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Replaces the content after a (re)list at <paramref name="revision"/>, closing every watcher.</summary>
    public void Reset(IEnumerable<CachedObject> objects, long revision)
    {
        lock (_lock)
        {
            _objects.Clear();
            _jsonBytes = 0;
            _approximateBytes = 0;
            foreach (CachedObject item in objects)
            {
                Put(item);
            }

            _history.Clear();
            _oldestRetained = revision;
            foreach (CacheWatcher watcher in _watchers)
            {
                watcher.Close();
            }

            _watchers.Clear();
            Interlocked.Increment(ref _version);
        }
    }

    public void Apply(CacheEvent change)
    {
        lock (_lock)
        {
            if (_objects.Remove(change.Object.Key, out CachedObject? replaced))
            {
                _jsonBytes -= replaced.Json.Length;
                _approximateBytes -= replaced.ApproximateBytes;
            }

            if (change.Type != WatchEventType.Deleted)
            {
                Put(change.Object);
            }

            Interlocked.Increment(ref _version);

            _history.Enqueue(change);
            if (_history.Count > HistoryLimit)
            {
                _oldestRetained = _history.Dequeue().Revision;
            }

            for (int i = _watchers.Count - 1; i >= 0; i--)
            {
                if (!_watchers[i].Offer(change))
                {
                    _watchers.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>The JSON bytes held and the estimated memory of the entries holding them (objects only, not history).</summary>
    public (long JsonBytes, long ApproximateBytes) Size
    {
        get
        {
            lock (_lock)
            {
                return (_jsonBytes, _approximateBytes);
            }
        }
    }

    private void Put(CachedObject item)
    {
        _objects[item.Key] = item;
        _jsonBytes += item.Json.Length;
        _approximateBytes += item.ApproximateBytes;
    }

    /// <summary>The objects under <paramref name="keyPrefix"/>, in key order.</summary>
    public List<CachedObject> Snapshot(string keyPrefix, string? startAfter)
    {
        lock (_lock)
        {
            var items = new List<CachedObject>();
            foreach (KeyValuePair<string, CachedObject> entry in _objects)
            {
                if (entry.Key.StartsWith(keyPrefix, StringComparison.Ordinal) && (startAfter is null || string.CompareOrdinal(entry.Key, startAfter) > 0))
                {
                    items.Add(entry.Value);
                }
            }

            return items;
        }
    }

    public CachedObject? Get(string key)
    {
        lock (_lock)
        {
            return _objects.GetValueOrDefault(key);
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _objects.Count;
            }
        }
    }

    public int WatcherCount
    {
        get
        {
            lock (_lock)
            {
                return _watchers.Count;
            }
        }
    }

    /// <summary>
    /// Attaches a watcher that receives every change after <paramref name="afterRevision"/>; the retained history is replayed
    /// first. Returns false when that history is no longer kept (410 Gone).
    /// </summary>
    public bool TryWatch(string? ns, long afterRevision, out CacheWatcher watcher, out List<CacheEvent> replay)
    {
        watcher = new CacheWatcher(this, ns);
        replay = [];
        lock (_lock)
        {
            if (_retired)
            {
                watcher.Close();
                return true;
            }

            if (afterRevision < _oldestRetained)
            {
                return false;
            }

            foreach (CacheEvent change in _history)
            {
                if (change.Revision > afterRevision && (ns is null || change.Object.Namespace == ns))
                {
                    replay.Add(change);
                }
            }

            _watchers.Add(watcher);
            return true;
        }
    }

    /// <summary>The objects now (for a watch from "0" or unset: synthetic ADDED events) and a watcher for what follows.</summary>
    public CacheWatcher WatchFromNow(string keyPrefix, string? ns, out List<CachedObject> current)
    {
        var watcher = new CacheWatcher(this, ns);
        lock (_lock)
        {
            current = [.. _objects.Values.Where(o => o.Key.StartsWith(keyPrefix, StringComparison.Ordinal))];
            if (_retired)
            {
                watcher.Close();
            }
            else
            {
                _watchers.Add(watcher);
            }
        }

        return watcher;
    }

    internal void Remove(CacheWatcher watcher)
    {
        lock (_lock)
        {
            _watchers.Remove(watcher);
        }
    }

    /// <summary>
    /// Ends the bucket's life (its resource is no longer served): every watcher closes, and a watch attached later (by a
    /// request that found the bucket just before) gets a closed watcher instead of waiting forever.
    /// </summary>
    internal void Retire()
    {
        lock (_lock)
        {
            _retired = true;
            foreach (CacheWatcher watcher in _watchers)
            {
                watcher.Close();
            }

            _watchers.Clear();
        }
    }

    internal void CloseAll()
    {
        lock (_lock)
        {
            foreach (CacheWatcher watcher in _watchers)
            {
                watcher.Close();
            }

            _watchers.Clear();
        }
    }
}
