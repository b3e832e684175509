using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Skiff.Store.Watch;

namespace Skiff.Store.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. All writes go through one writer connection; whichever caller finds no
/// commit in progress commits everything queued in one durable transaction (flat combining, group commit) and then notifies
/// watchers in process; reads use pooled read-only connections, each in its own snapshot.
/// </summary>
internal sealed partial class SqliteStore : IRevisionedStore
{
    private readonly string _readConnectionString;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SqliteStore> _logger;
    private readonly WatchHub _hub;
    private readonly SqliteConnection _writer;
    private readonly WriterCommands _commands;
    private readonly ExpirySweeper _sweeper;

    // The write queue and the committer role, both under _queueLock; _drained completes when the store is closed and idle.
    private readonly Lock _queueLock = new();
    private readonly Queue<WriteOperation> _queue = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _committing;
    private bool _closed;

    // Owned by whoever holds the committer role.
    private readonly List<WriteOperation> _batch = new(MaxBatch);
    private readonly List<WatchEvent> _events = [];
    private long _revision;

    private SqliteStore(string path, SqliteConnection writer, long revision, TimeProvider timeProvider, ILogger<SqliteStore> logger)
    {
        Path = path;
        _writer = writer;
        _revision = revision;
        _timeProvider = timeProvider;
        _logger = logger;
        _hub = new WatchHub(revision);
        _readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = true,
        }.ToString();
        _commands = new WriterCommands(writer);
        _sweeper = new ExpirySweeper(timeProvider, SweepExpiredAsync);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens (or creates) the database at <paramref name="path"/>. A file that is not a SQLite database, is another program's
    /// database, or fails SQLite's integrity check is refused with <see cref="StoreCorruptException"/> and left as it was.
    /// </summary>
    public static SqliteStore Open(string path, TimeProvider timeProvider, ILogger<SqliteStore> logger)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? directory = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        bool fresh = SqliteFileCheck.IsAbsentOrEmpty(path);
        if (!fresh)
        {
            SqliteFileCheck.EnsureOurs(path);
        }

        var writer = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        writer.Open();
        try
        {
            if (fresh)
            {
                Execute(writer, SqliteSchema.BeforeCreate);
            }

            // FULL makes every commit fsync the WAL: a write is acknowledged only once it is durable.
            // temp_store = MEMORY: statement journals and sorts never touch a temp file. Checkpoints stay automatic (every
            // ~1,000 WAL pages, inside the commit that crosses it): a 100 ms background PASSIVE checkpoint let the WAL outgrow
            // its reused size, so commits appended past its end and cost about twice as much (see the commit that removed it).
            Execute(writer, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA journal_size_limit = 67108864; PRAGMA busy_timeout = 5000; " +
                "PRAGMA temp_store = MEMORY;");
            if (fresh)
            {
                using SqliteTransaction transaction = writer.BeginTransaction();
                Execute(writer, SqliteSchema.Create, transaction);
                Execute(writer, $"PRAGMA application_id = {SqliteSchema.ApplicationId}; PRAGMA user_version = {SqliteSchema.Version};", transaction);
                transaction.Commit();
                LogCreated(logger, path);
            }

            long revision = ReadRevision(writer, null);
            LogOpened(logger, path, revision);
            return new SqliteStore(path, writer, revision, timeProvider, logger);
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        bool idle;
        lock (_queueLock)
        {
            _closed = true;
            idle = !_committing;
        }

        // New writes are refused from here on; a commit in progress finishes the queue and then completes _drained.
        if (!idle)
        {
            await _drained.Task;
        }

        _commands.Dispose();
        _hub.Close();
        try
        {
            Execute(_writer, "PRAGMA wal_checkpoint(TRUNCATE);");
        }
        catch (SqliteException ex)
        {
            LogCheckpointFailed(_logger, ex);
        }

        await _writer.DisposeAsync();
        SqliteConnection.ClearPool(new SqliteConnection(_readConnectionString));
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    internal static long ReadRevision(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = SqliteSchema.SelectRevision;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static long ReadMeta(SqliteConnection connection, string name, SqliteTransaction? transaction)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT value FROM meta WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }
}
