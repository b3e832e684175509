using Microsoft.Data.Sqlite;

namespace Skiff.Store.Sqlite;

internal sealed partial class SqliteStore
{
    private const int HistoryPage = 1000;

    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken) =>
        ReadAsync((connection, transaction) => ReadMeta(connection, SqliteSchema.RevisionKey, transaction), cancellationToken);

    public Task<KeyValue?> GetAsync(string key, long revision, CancellationToken cancellationToken) =>
        ReadAsync(
            (connection, transaction) =>
            {
                long current = ReadMeta(connection, SqliteSchema.RevisionKey, transaction);
                using SqliteCommand command = connection.CreateCommand();
                command.Transaction = transaction;
                command.Parameters.AddWithValue("$key", key);
                if (revision <= 0 || revision >= current)
                {
                    command.CommandText = "SELECT l.id, l.created, l.value FROM current c JOIN log l ON l.id = c.id WHERE c.key = $key";
                }
                else
                {
                    EnsureNotCompacted(connection, transaction, revision);
                    command.CommandText = """
                        SELECT id, created, value FROM log WHERE key = $key AND id <= $revision AND deleted = 0
                            AND id = (SELECT MAX(id) FROM log WHERE key = $key AND id <= $revision)
                        """;
                    command.Parameters.AddWithValue("$revision", revision);
                }

                using SqliteDataReader reader = command.ExecuteReader();
                return reader.Read() ? new KeyValue(key, ReadBlob(reader, 2), reader.GetInt64(1), reader.GetInt64(0)) : null;
            },
            cancellationToken);

    public Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ReadAsync(
            (connection, transaction) =>
            {
                long current = ReadMeta(connection, SqliteSchema.RevisionKey, transaction);
                long revision = options.Revision <= 0 || options.Revision >= current ? current : options.Revision;
                using SqliteCommand command = connection.CreateCommand();
                command.Transaction = transaction;
                if (revision == current)
                {
                    command.CommandText = """
                        SELECT l.key, l.id, l.created, l.value FROM current c JOIN log l ON l.id = c.id
                        WHERE c.key >= $lo AND ($hi IS NULL OR c.key < $hi) AND c.key > $after
                        ORDER BY c.key LIMIT $limit
                        """;
                }
                else
                {
                    // An older page of a paged list: each key's latest row at that revision, from history.
                    EnsureNotCompacted(connection, transaction, revision);
                    command.CommandText = """
                        SELECT l.key, l.id, l.created, l.value
                        FROM (SELECT key, MAX(id) AS id FROM log
                              WHERE key >= $lo AND ($hi IS NULL OR key < $hi) AND key > $after AND id <= $revision GROUP BY key) m
                        JOIN log l ON l.id = m.id
                        WHERE l.deleted = 0 ORDER BY l.key LIMIT $limit
                        """;
                    command.Parameters.AddWithValue("$revision", revision);
                }

                AddRange(command, prefix);
                command.Parameters.AddWithValue("$after", options.StartAfter ?? string.Empty);
                command.Parameters.AddWithValue("$limit", options.Limit > 0 ? options.Limit + 1 : -1);
                var items = new List<KeyValue>();
                using SqliteDataReader reader = command.ExecuteReader();
                while (reader.Read())
                {
                    items.Add(new KeyValue(reader.GetString(0), ReadBlob(reader, 3), reader.GetInt64(2), reader.GetInt64(1)));
                }

                bool more = options.Limit > 0 && items.Count > options.Limit;
                if (more)
                {
                    items.RemoveAt(items.Count - 1);
                }

                return new ListResult(items, revision, more);
            },
            cancellationToken);
    }

    public Task<long> CountAsync(string prefix, CancellationToken cancellationToken) =>
        ReadAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "SELECT COUNT(*) FROM current WHERE key >= $lo AND ($hi IS NULL OR key < $hi)";
                AddRange(command, prefix);
                return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
            },
            cancellationToken);

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken) =>
        Watch.LocalWatch.RunAsync(_hub, ReadHistoryAsync, prefix, afterRevision, cancellationToken);

    internal static ReadOnlyMemory<byte> ReadBlob(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? ReadOnlyMemory<byte>.Empty : reader.GetFieldValue<byte[]>(ordinal);

    private Task<IReadOnlyList<WatchEvent>> ReadHistoryAsync(string prefix, long after, long upTo, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<WatchEvent>>(
            (connection, transaction) =>
            {
                long compacted = ReadMeta(connection, SqliteSchema.CompactedKey, transaction);
                if (after < compacted)
                {
                    throw new CompactedException(after, compacted);
                }

                using SqliteCommand command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = """
                    SELECT l.id, l.key, l.created, l.deleted, l.value, p.id, p.created, p.value
                    FROM log l LEFT JOIN log p ON p.id = l.prev
                    WHERE l.id > $after AND l.id <= $upTo AND l.key >= $lo AND ($hi IS NULL OR l.key < $hi)
                    ORDER BY l.id LIMIT $limit
                    """;
                command.Parameters.AddWithValue("$after", after);
                command.Parameters.AddWithValue("$upTo", upTo);
                command.Parameters.AddWithValue("$limit", HistoryPage);
                AddRange(command, prefix);
                var events = new List<WatchEvent>();
                using SqliteDataReader reader = command.ExecuteReader();
                while (reader.Read())
                {
                    string key = reader.GetString(1);
                    long revision = reader.GetInt64(0);
                    long created = reader.GetInt64(2);
                    KeyValue? previous = reader.IsDBNull(5) ? null : new KeyValue(key, ReadBlob(reader, 7), reader.GetInt64(6), reader.GetInt64(5));
                    if (reader.GetInt64(3) != 0)
                    {
                        events.Add(new WatchEvent(WatchEventType.Deleted, new KeyValue(key, ReadOnlyMemory<byte>.Empty, created, revision), previous));
                    }
                    else
                    {
                        var current = new KeyValue(key, ReadBlob(reader, 4), created, revision);
                        events.Add(new WatchEvent(previous is null ? WatchEventType.Created : WatchEventType.Updated, current, previous));
                    }
                }

                return events;
            },
            cancellationToken);

    /// <summary>Runs <paramref name="read"/> on a pooled read-only connection inside one snapshot transaction.</summary>
    private async Task<T> ReadAsync<T>(Func<SqliteConnection, SqliteTransaction, T> read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await using var connection = new SqliteConnection(_readConnectionString);
        await connection.OpenAsync(cancellationToken);
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: true);
        try
        {
            return read(connection, transaction);
        }
        catch (SqliteException ex)
        {
            throw new StoreException("the datastore could not be read: " + ex.Message, ex);
        }
    }

    private static void EnsureNotCompacted(SqliteConnection connection, SqliteTransaction transaction, long revision)
    {
        long compacted = ReadMeta(connection, SqliteSchema.CompactedKey, transaction);
        if (revision < compacted)
        {
            throw new CompactedException(revision, compacted);
        }
    }

    private static void AddRange(SqliteCommand command, string prefix)
    {
        command.Parameters.AddWithValue("$lo", prefix);
        command.Parameters.AddWithValue("$hi", (object?)StoreLimits.PrefixEnd(prefix) ?? DBNull.Value);
    }
}
