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

    private async Task<WriteResult> EnqueueAsync(WriteOperation operation, CancellationToken cancellationToken)
    {
        if (!_writes.Writer.TryWrite(operation))
        {
            throw new ObjectDisposedException(nameof(SqliteStore), "the store is closed");
        }

        // The write may still commit after the caller gives up waiting, exactly as with etcd.
        return await operation.Task.WaitAsync(cancellationToken);
    }

    private long? ExpiresAt(TimeSpan? timeToLive) =>
        timeToLive is { } ttl ? (_timeProvider.GetUtcNow() + ttl).ToUnixTimeMilliseconds() : null;

    private async Task RunWriterAsync()
    {
        var batch = new List<WriteOperation>(MaxBatch);
        var events = new List<WatchEvent>();
        using var commands = new WriterCommands(_writer);
        while (await _writes.Reader.WaitToReadAsync())
        {
            batch.Clear();
            events.Clear();
            while (batch.Count < MaxBatch && _writes.Reader.TryPeek(out WriteOperation? next))
            {
                if (next.Kind == WriteKind.Reclaim && batch.Count > 0)
                {
                    break;
                }

                _writes.Reader.TryRead(out _);
                batch.Add(next);
                if (next.Kind == WriteKind.Reclaim)
                {
                    break;
                }
            }

            if (batch is [{ Kind: WriteKind.Reclaim } reclaim])
            {
                Reclaim(reclaim);
                continue;
            }

            long before = _revision;
            try
            {
                using (SqliteTransaction transaction = _writer.BeginTransaction())
                {
                    commands.Enlist(transaction);
                    foreach (WriteOperation operation in batch)
                    {
                        operation.Result = Apply(commands, operation, events);
                    }

                    if (_revision != before)
                    {
                        commands.SetMeta(SqliteSchema.RevisionKey, _revision);
                    }

                    transaction.Commit();
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

                continue;
            }

            if (events.Count > 0)
            {
                _hub.Publish(events, _revision);
            }

            foreach (WriteOperation operation in batch)
            {
                operation.Complete();
            }
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
        await Task.WhenAll(expired.Select(e => EnqueueAsync(WriteOperation.Delete(e.Key, e.Revision), cancellationToken)));
    }
}
