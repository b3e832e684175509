using Microsoft.Data.Sqlite;

namespace Skiff.Store.Sqlite;

internal sealed partial class SqliteStore
{
    // Group commit: everything queued while the previous transaction was being fsynced goes into the next one.
    private const int MaxBatch = 512;
    private const int CompactionChunk = 2000;

    public Task<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        StoreLimits.EnsureValueSize(key, value);
        return EnqueueAsync(WriteOperation.Create(key, value, ExpiresAt(timeToLive)), cancellationToken);
    }

    public Task<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        StoreLimits.EnsureValueSize(key, value);
        return EnqueueAsync(WriteOperation.Update(key, value, expectedModRevision, ExpiresAt(timeToLive)), cancellationToken);
    }

    public Task<WriteResult> DeleteAsync(string key, long expectedModRevision, CancellationToken cancellationToken) =>
        EnqueueAsync(WriteOperation.Delete(key, expectedModRevision), cancellationToken);

    public async Task CompactAsync(long revision, CancellationToken cancellationToken)
    {
        long current = await GetCurrentRevisionAsync(cancellationToken);
        if (revision > current)
        {
            throw new StoreException($"cannot compact to revision {revision}: the store is only at revision {current}");
        }

        WriteResult marked = await EnqueueAsync(WriteOperation.MarkCompacted(revision), cancellationToken);
        long previous = marked.Revision;
        for (long from = previous; from < revision; from += CompactionChunk)
        {
            await EnqueueAsync(WriteOperation.CompactRange(from, Math.Min(from + CompactionChunk, revision)), cancellationToken);
        }

        if (revision > previous)
        {
            await EnqueueAsync(WriteOperation.Reclaim(), cancellationToken);
            LogCompacted(_logger, revision);
        }
    }

    private long? ExpiresAt(TimeSpan? timeToLive) =>
        timeToLive is { } ttl ? (_timeProvider.GetUtcNow() + ttl).ToUnixTimeMilliseconds() : null;

    private Task<WriteResult> EnqueueAsync(WriteOperation operation, CancellationToken cancellationToken)
    {
        bool commit;
        lock (_queueLock)
        {
            if (_closed)
            {
                return Task.FromException<WriteResult>(new ObjectDisposedException(nameof(SqliteStore), "the store is closed"));
            }

            _queue.Enqueue(operation);
            commit = TryBecomeCommitter();
        }

        if (commit)
        {
            CommitQueued(operation);
        }

        // The write may still commit after the caller gives up waiting, exactly as with etcd. A lone writer that committed its
        // own write above finds the task already complete: no thread hop between the call and its acknowledgement.
        return operation.Task.IsCompleted ? operation.Task : operation.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Queues several writes at once, so they share one commit instead of the first committing alone.</summary>
    private Task EnqueueAllAsync(List<WriteOperation> operations, CancellationToken cancellationToken)
    {
        if (operations.Count == 0)
        {
            return Task.CompletedTask;
        }

        bool commit;
        lock (_queueLock)
        {
            if (_closed)
            {
                return Task.FromException(new ObjectDisposedException(nameof(SqliteStore), "the store is closed"));
            }

            foreach (WriteOperation operation in operations)
            {
                _queue.Enqueue(operation);
            }

            commit = TryBecomeCommitter();
        }

        if (commit)
        {
            CommitQueued(operations[^1]);
        }

        return Task.WhenAll(operations.Select(o => o.Task)).WaitAsync(cancellationToken);
    }

    // Under _queueLock.
    private bool TryBecomeCommitter()
    {
        if (_committing)
        {
            return false;
        }

        _committing = true;
        return true;
    }

    /// <summary>
    /// Flat combining: the caller that found no commit in progress commits everything queued, on its own thread, batch after
    /// batch. Writers that queue meanwhile just wait for their operation; they are taken into the next batch (group commit).
    /// Once <paramref name="own"/> is durable the caller hands any remaining work to a thread-pool item, so no caller's latency
    /// grows with other writers' load. The queue is checked empty and the committer role released under one lock, so a write
    /// queued at that moment is never stranded (it either is taken here or its caller becomes the committer).
    /// </summary>
    private void CommitQueued(WriteOperation? own)
    {
        List<WriteOperation> batch = _batch;
        while (true)
        {
            batch.Clear();
            lock (_queueLock)
            {
                if (own is { Task.IsCompleted: true } && _queue.Count > 0)
                {
                    // Still the committer: the pool item carries on with the role, callers keep queuing behind it.
                    ThreadPool.UnsafeQueueUserWorkItem(static store => store.CommitQueued(null), this, preferLocal: false);
                    return;
                }

                TakeBatch(batch);
                if (batch.Count == 0)
                {
                    _committing = false;
                    if (_closed)
                    {
                        _drained.TrySetResult();
                    }

                    return;
                }
            }

            try
            {
                CommitBatch(batch);
            }
            catch (Exception ex)
            {
                // CommitBatch fails its own batch on a database error; this is a bug elsewhere (a watcher, a logger). Never leave
                // callers waiting, and never leave the committer role taken.
                LogBatchFailed(_logger, batch.Count, ex);
                var failure = new StoreException("the datastore could not commit the write: " + ex.Message, ex);
                foreach (WriteOperation operation in batch)
                {
                    operation.Fail(failure);
                }
            }
        }
    }

    // Under _queueLock. Reclaim runs alone, outside any transaction.
    private void TakeBatch(List<WriteOperation> batch)
    {
        while (batch.Count < MaxBatch && _queue.TryPeek(out WriteOperation? next))
        {
            if (next.Kind == WriteKind.Reclaim && batch.Count > 0)
            {
                break;
            }

            _queue.Dequeue();
            batch.Add(next);
            if (next.Kind == WriteKind.Reclaim)
            {
                break;
            }
        }
    }

    private void CommitBatch(List<WriteOperation> batch)
    {
        if (batch is [{ Kind: WriteKind.Reclaim } reclaim])
        {
            Reclaim(reclaim);
            return;
        }

        List<WatchEvent> events = _events;
        events.Clear();
        long before = _revision;
        try
        {
            _commands.Begin();
            try
            {
                bool compacting = false;
                foreach (WriteOperation operation in batch)
                {
                    operation.Result = Apply(_commands, operation, events);
                    compacting |= operation.Kind is WriteKind.MarkCompacted or WriteKind.CompactRange;
                }

                if (compacting)
                {
                    // Compaction may delete the newest log rows, which otherwise are the revision (see SqliteSchema.RevisionKey).
                    _commands.SetMeta(SqliteSchema.RevisionKey, _revision);
                }

                _commands.Commit();
            }
            catch
            {
                _commands.Rollback();
                throw;
            }
        }
        catch (Exception ex)
        {
            // Whatever went wrong, no write in this batch was committed: fail them all and keep serving.
            _revision = before;
            LogBatchFailed(_logger, batch.Count, ex);
            var failure = new StoreException("the datastore could not commit the write: " + ex.Message, ex);
            foreach (WriteOperation operation in batch)
            {
                operation.Fail(failure);
            }

            return;
        }

        if (events.Count > 0)
        {
            // WatchHub keeps no reference to the list; publishing while holding the committer role keeps events in revision order.
            _hub.Publish(events, _revision);
        }

        foreach (WriteOperation operation in batch)
        {
            operation.Complete();
        }
    }

    private WriteResult Apply(WriterCommands commands, WriteOperation operation, List<WatchEvent> events)
    {
        switch (operation.Kind)
        {
            case WriteKind.MarkCompacted:
                long compacted = commands.GetMeta(SqliteSchema.CompactedKey);
                if (operation.CompactTo > compacted)
                {
                    commands.SetMeta(SqliteSchema.CompactedKey, operation.CompactTo);
                }

                return new WriteResult(WriteStatus.Ok, compacted, null);
            case WriteKind.CompactRange:
                commands.CompactRange(operation.RangeFrom, operation.RangeTo);
                return new WriteResult(WriteStatus.Ok, _revision, null);
        }

        KeyValue? current = commands.GetCurrent(operation.Key);
        switch (operation.Kind)
        {
            case WriteKind.Create when current is not null:
                return new WriteResult(WriteStatus.AlreadyExists, _revision, current);
            case WriteKind.Update or WriteKind.Delete when current is null:
                return new WriteResult(WriteStatus.NotFound, _revision, null);
            case WriteKind.Update when current!.ModRevision != operation.Expected:
            case WriteKind.Delete when operation.Expected > 0 && current!.ModRevision != operation.Expected:
                return new WriteResult(WriteStatus.Conflict, _revision, current);
        }

        long revision = ++_revision;
        if (operation.Kind == WriteKind.Delete)
        {
            KeyValue removed = current!;
            commands.InsertLog(revision, operation.Key, removed.CreateRevision, removed.ModRevision, deleted: true, ReadOnlyMemory<byte>.Empty);
            commands.DeleteCurrent(operation.Key);
            events.Add(new WatchEvent(WatchEventType.Deleted, new KeyValue(operation.Key, ReadOnlyMemory<byte>.Empty, removed.CreateRevision, revision), removed));
            return new WriteResult(WriteStatus.Ok, revision, removed);
        }

        long createRevision = current?.CreateRevision ?? revision;
        commands.InsertLog(revision, operation.Key, createRevision, current?.ModRevision ?? 0, deleted: false, operation.Value);
        commands.UpsertCurrent(operation.Key, revision, operation.ExpiresAtMs);
        var written = new KeyValue(operation.Key, operation.Value, createRevision, revision);
        events.Add(new WatchEvent(current is null ? WatchEventType.Created : WatchEventType.Updated, written, current));
        return new WriteResult(WriteStatus.Ok, revision, written);
    }

    private void Reclaim(WriteOperation operation)
    {
        try
        {
            // TRUNCATE (not the background PASSIVE checkpoint) so the WAL file itself shrinks after a compaction.
            Execute(_writer, "PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);");
        }
        catch (SqliteException ex)
        {
            LogCheckpointFailed(_logger, ex);
        }

        operation.Result = new WriteResult(WriteStatus.Ok, _revision, null);
        operation.Complete();
    }

    private async Task SweepExpiredAsync(CancellationToken cancellationToken)
    {
        long now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        List<(string Key, long Revision)> expired = await ReadAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "SELECT key, id FROM current WHERE expires IS NOT NULL AND expires <= $now LIMIT 1000";
                command.Parameters.AddWithValue("$now", now);
                using SqliteDataReader reader = command.ExecuteReader();
                var keys = new List<(string, long)>();
                while (reader.Read())
                {
                    keys.Add((reader.GetString(0), reader.GetInt64(1)));
                }

                return keys;
            },
            cancellationToken);

        // Deleting with the revision seen keeps a key that was rewritten (with a new lifetime) in the meantime.
        await EnqueueAllAsync(expired.ConvertAll(e => WriteOperation.Delete(e.Key, e.Revision)), cancellationToken);
    }
}
