using Skiff.Store.Watch;

namespace Skiff.Store.Memory;

/// <summary>
/// The store in process memory, for unit tests only: same semantics as the SQLite backend (one log of changes plus an index of
/// the latest row per key), nothing durable.
/// </summary>
internal sealed class MemoryStore : IRevisionedStore
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly List<Row> _log = [];
    private readonly SortedDictionary<string, Current> _current = new(StringComparer.Ordinal);
    private readonly WatchHub _hub = new(0);
    private readonly ExpirySweeper _sweeper;
    private long _revision;
    private long _compacted;

    public MemoryStore(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _sweeper = new ExpirySweeper(timeProvider, SweepAsync);
    }

    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_revision);
        }
    }

    public Task<KeyValue?> GetAsync(string key, long revision, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (revision <= 0 || revision >= _revision)
            {
                return Task.FromResult(_current.TryGetValue(key, out Current? current) ? ToKeyValue(current.Row) : null);
            }

            EnsureNotCompacted(revision);
            Row? row = LatestAt(key, revision);
            return Task.FromResult(row is null || row.Deleted ? null : ToKeyValue(row));
        }
    }

    public Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_lock)
        {
            long revision = options.Revision <= 0 ? _revision : options.Revision;
            IEnumerable<KeyValue> source;
            if (revision >= _revision)
            {
                source = _current.Values.Where(c => c.Row.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(c => ToKeyValue(c.Row));
            }
            else
            {
                EnsureNotCompacted(revision);
                source = _log.Where(r => r.Revision <= revision && r.Key.StartsWith(prefix, StringComparison.Ordinal))
                    .GroupBy(r => r.Key)
                    .Select(g => g.Last())
                    .Where(r => !r.Deleted)
                    .OrderBy(r => r.Key, StringComparer.Ordinal)
                    .Select(ToKeyValue);
            }

            if (options.StartAfter is not null)
            {
                source = source.Where(kv => string.CompareOrdinal(kv.Key, options.StartAfter) > 0);
            }

            List<KeyValue> items = options.Limit > 0 ? source.Take(options.Limit + 1).ToList() : source.ToList();
            bool more = options.Limit > 0 && items.Count > options.Limit;
            if (more)
            {
                items.RemoveAt(items.Count - 1);
            }

            return Task.FromResult(new ListResult(items, Math.Min(revision, _revision), more));
        }
    }

    public Task<long> CountAsync(string prefix, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult((long)_current.Keys.Count(k => k.StartsWith(prefix, StringComparison.Ordinal)));
        }
    }

    public Task<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        StoreLimits.EnsureValueSize(key, value);
        lock (_lock)
        {
            if (_current.TryGetValue(key, out Current? existing))
            {
                return Task.FromResult(new WriteResult(WriteStatus.AlreadyExists, _revision, ToKeyValue(existing.Row)));
            }

            long revision = ++_revision;
            var row = new Row(revision, key, value.ToArray(), revision, null, false);
            Commit(row, Expiry(timeToLive), new WatchEvent(WatchEventType.Created, ToKeyValue(row), null));
            return Task.FromResult(new WriteResult(WriteStatus.Ok, revision, ToKeyValue(row)));
        }
    }

    public Task<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        StoreLimits.EnsureValueSize(key, value);
        lock (_lock)
        {
            if (!_current.TryGetValue(key, out Current? existing))
            {
                return Task.FromResult(new WriteResult(WriteStatus.NotFound, _revision, null));
            }

            if (existing.Row.Revision != expectedModRevision)
            {
                return Task.FromResult(new WriteResult(WriteStatus.Conflict, _revision, ToKeyValue(existing.Row)));
            }

            long revision = ++_revision;
            var row = new Row(revision, key, value.ToArray(), existing.Row.CreateRevision, ToKeyValue(existing.Row), false);
            Commit(row, Expiry(timeToLive), new WatchEvent(WatchEventType.Updated, ToKeyValue(row), ToKeyValue(existing.Row)));
            return Task.FromResult(new WriteResult(WriteStatus.Ok, revision, ToKeyValue(row)));
        }
    }

    public Task<WriteResult> DeleteAsync(string key, long expectedModRevision, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(DeleteLocked(key, expectedModRevision));
        }
    }

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken) =>
        LocalWatch.RunAsync(_hub, ReadHistoryAsync, prefix, afterRevision, cancellationToken);

    public Task CompactAsync(long revision, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (revision > _revision)
            {
                throw new StoreException($"cannot compact to revision {revision}: the store is only at revision {_revision}");
            }

            if (revision <= _compacted)
            {
                return Task.CompletedTask;
            }

            _compacted = revision;
            var latestAtCompaction = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (Row row in _log)
            {
                if (row.Revision <= revision)
                {
                    latestAtCompaction[row.Key] = row.Revision;
                }
            }

            // What stays: every change after the compaction point, and the live value of each key as of it.
            _log.RemoveAll(r => r.Revision <= revision && (r.Deleted || latestAtCompaction[r.Key] != r.Revision));
            return Task.CompletedTask;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        _hub.Close();
    }

    private Task<IReadOnlyList<WatchEvent>> ReadHistoryAsync(string prefix, long after, long upTo, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (after < _compacted)
            {
                throw new CompactedException(after, _compacted);
            }

            IReadOnlyList<WatchEvent> page = _log
                .Where(r => r.Revision > after && r.Revision <= upTo && r.Key.StartsWith(prefix, StringComparison.Ordinal))
                .Take(1000)
                .Select(ToEvent)
                .ToList();
            return Task.FromResult(page);
        }
    }

    private Task SweepAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            DateTimeOffset now = _timeProvider.GetUtcNow();
            foreach (Current expired in _current.Values.Where(c => c.ExpiresAt <= now).ToList())
            {
                DeleteLocked(expired.Row.Key, expired.Row.Revision);
            }
        }

        return Task.CompletedTask;
    }

    private WriteResult DeleteLocked(string key, long expectedModRevision)
    {
        if (!_current.TryGetValue(key, out Current? existing))
        {
            return new WriteResult(WriteStatus.NotFound, _revision, null);
        }

        if (expectedModRevision > 0 && existing.Row.Revision != expectedModRevision)
        {
            return new WriteResult(WriteStatus.Conflict, _revision, ToKeyValue(existing.Row));
        }

        long revision = ++_revision;
        var tombstone = new Row(revision, key, [], existing.Row.CreateRevision, ToKeyValue(existing.Row), true);
        Commit(tombstone, null, ToEvent(tombstone));
        return new WriteResult(WriteStatus.Ok, revision, ToKeyValue(existing.Row));
    }

    private void Commit(Row row, DateTimeOffset? expiresAt, WatchEvent change)
    {
        _log.Add(row);
        if (row.Deleted)
        {
            _current.Remove(row.Key);
        }
        else
        {
            _current[row.Key] = new Current(row, expiresAt);
        }

        _hub.Publish([change], row.Revision);
    }

    private DateTimeOffset? Expiry(TimeSpan? timeToLive) => timeToLive is { } ttl ? _timeProvider.GetUtcNow() + ttl : null;

    private Row? LatestAt(string key, long revision) => _log.LastOrDefault(r => r.Key == key && r.Revision <= revision);

    private void EnsureNotCompacted(long revision)
    {
        if (revision < _compacted)
        {
            throw new CompactedException(revision, _compacted);
        }
    }

    private static KeyValue ToKeyValue(Row row) => new(row.Key, row.Value, row.CreateRevision, row.Revision);

    private static WatchEvent ToEvent(Row row)
    {
        KeyValue? previous = row.Previous;
        if (row.Deleted)
        {
            return new WatchEvent(WatchEventType.Deleted, new KeyValue(row.Key, ReadOnlyMemory<byte>.Empty, row.CreateRevision, row.Revision), previous);
        }

        return new WatchEvent(previous is null ? WatchEventType.Created : WatchEventType.Updated, ToKeyValue(row), previous);
    }

    // Previous is a detached copy so a row never keeps older rows alive after compaction.
    private sealed record Row(long Revision, string Key, byte[] Value, long CreateRevision, KeyValue? Previous, bool Deleted);

    private sealed record Current(Row Row, DateTimeOffset? ExpiresAt);
}
