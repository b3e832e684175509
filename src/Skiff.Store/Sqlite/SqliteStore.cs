using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Skiff.Store.Watch;

namespace Skiff.Store.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. All writes go through one writer that batches whatever is queued into one
/// durable transaction (group commit) and then notifies watchers in process; reads use pooled read-only connections, each in
/// its own snapshot.
/// </summary>
internal sealed partial class SqliteStore : IRevisionedStore
{
    private readonly string _readConnectionString;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SqliteStore> _logger;
    private readonly Channel<WriteOperation> _writes = Channel.CreateUnbounded<WriteOperation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly WatchHub _hub;
    private readonly SqliteConnection _writer;
    private readonly Task _writerLoop;
    private readonly ExpirySweeper _sweeper;
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
        _writerLoop = Task.Run(RunWriterAsync);
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
            Execute(writer, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA journal_size_limit = 67108864; PRAGMA busy_timeout = 5000;");
            if (fresh)
            {
                using SqliteTransaction transaction = writer.BeginTransaction();
                Execute(writer, SqliteSchema.Create, transaction);
                Execute(writer, $"PRAGMA application_id = {SqliteSchema.ApplicationId}; PRAGMA user_version = {SqliteSchema.Version};", transaction);
                transaction.Commit();
                LogCreated(logger, path);
            }

            long revision = ReadMeta(writer, SqliteSchema.RevisionKey, null);
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
        _writes.Writer.TryComplete();
        await _writerLoop;
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

    internal static long ReadMeta(SqliteConnection connection, string name, SqliteTransaction? transaction)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT value FROM meta WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }
}
