using Microsoft.Data.Sqlite;

namespace Skiff.Store.Sqlite;

/// <summary>The writer's prepared statements, reused for every batch (parsing SQL per write would dominate small writes).</summary>
internal sealed class WriterCommands : IDisposable
{
    private readonly SqliteCommand _getCurrent;
    private readonly SqliteCommand _insertLog;
    private readonly SqliteCommand _upsertCurrent;
    private readonly SqliteCommand _deleteCurrent;
    private readonly SqliteCommand _getMeta;
    private readonly SqliteCommand _setMeta;
    private readonly SqliteCommand _compactSuperseded;
    private readonly SqliteCommand _compactTombstones;
    private readonly SqliteCommand[] _all;

    public WriterCommands(SqliteConnection connection)
    {
        _getCurrent = Prepare(connection, "SELECT l.id, l.created, l.value FROM current c JOIN log l ON l.id = c.id WHERE c.key = $key", "$key");
        _insertLog = Prepare(
            connection,
            "INSERT INTO log (id, key, created, prev, deleted, value) VALUES ($id, $key, $created, $prev, $deleted, $value)",
            "$id", "$key", "$created", "$prev", "$deleted", "$value");
        _upsertCurrent = Prepare(
            connection,
            "INSERT INTO current (key, id, expires) VALUES ($key, $id, $expires) ON CONFLICT (key) DO UPDATE SET id = excluded.id, expires = excluded.expires",
            "$key", "$id", "$expires");
        _deleteCurrent = Prepare(connection, "DELETE FROM current WHERE key = $key", "$key");
        _getMeta = Prepare(connection, "SELECT value FROM meta WHERE name = $name", "$name");
        _setMeta = Prepare(connection, "UPDATE meta SET value = $value WHERE name = $name", "$value", "$name");

        // Compacting (from, to] deletes the rows that the writes in that range superseded (each row names the one it replaced
        // in prev): afterwards every key keeps only its latest row as of the compaction point, plus everything newer, which
        // watches from the compaction point on still need.
        _compactSuperseded = Prepare(
            connection,
            "DELETE FROM log WHERE id IN (SELECT prev FROM log WHERE id > $from AND id <= $to AND prev > 0)",
            "$from", "$to");
        _compactTombstones = Prepare(connection, "DELETE FROM log WHERE id > $from AND id <= $to AND deleted = 1", "$from", "$to");
        _all = [_getCurrent, _insertLog, _upsertCurrent, _deleteCurrent, _getMeta, _setMeta, _compactSuperseded, _compactTombstones];
    }

    public void Enlist(SqliteTransaction transaction)
    {
        foreach (SqliteCommand command in _all)
        {
            command.Transaction = transaction;
        }
    }

    public KeyValue? GetCurrent(string key)
    {
        _getCurrent.Parameters[0].Value = key;
        using SqliteDataReader reader = _getCurrent.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return new KeyValue(key, SqliteStore.ReadBlob(reader, 2), reader.GetInt64(1), reader.GetInt64(0));
    }

    public void InsertLog(long id, string key, long created, long previous, bool deleted, ReadOnlyMemory<byte> value)
    {
        _insertLog.Parameters[0].Value = id;
        _insertLog.Parameters[1].Value = key;
        _insertLog.Parameters[2].Value = created;
        _insertLog.Parameters[3].Value = previous;
        _insertLog.Parameters[4].Value = deleted ? 1 : 0;
        _insertLog.Parameters[5].Value = value.ToArray();
        _insertLog.ExecuteNonQuery();
    }

    public void UpsertCurrent(string key, long id, long? expiresAtMs)
    {
        _upsertCurrent.Parameters[0].Value = key;
        _upsertCurrent.Parameters[1].Value = id;
        _upsertCurrent.Parameters[2].Value = expiresAtMs is { } expires ? expires : DBNull.Value;
        _upsertCurrent.ExecuteNonQuery();
    }

    public void DeleteCurrent(string key)
    {
        _deleteCurrent.Parameters[0].Value = key;
        _deleteCurrent.ExecuteNonQuery();
    }

    public long GetMeta(string name)
    {
        _getMeta.Parameters[0].Value = name;
        return Convert.ToInt64(_getMeta.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    public void SetMeta(string name, long value)
    {
        _setMeta.Parameters[0].Value = value;
        _setMeta.Parameters[1].Value = name;
        _setMeta.ExecuteNonQuery();
    }

    public void CompactRange(long from, long to)
    {
        _compactSuperseded.Parameters[0].Value = from;
        _compactSuperseded.Parameters[1].Value = to;
        _compactSuperseded.ExecuteNonQuery();

        // A delete's own row goes too: at the compaction point the key simply does not exist.
        _compactTombstones.Parameters[0].Value = from;
        _compactTombstones.Parameters[1].Value = to;
        _compactTombstones.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (SqliteCommand command in _all)
        {
            command.Dispose();
        }
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (string name in parameters)
        {
            command.Parameters.Add(new SqliteParameter(name, null));
        }

        return command;
    }
}
