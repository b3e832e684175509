using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Skiff.Store.Sqlite;

/// <summary>
/// Copies committed WAL frames into the database file in the background, on its own connection, so no commit waits for a
/// checkpoint (the writer runs with <c>wal_autocheckpoint=0</c>). PASSIVE never blocks the writer: it copies what it can, and
/// once everything is copied the next commit starts the WAL over from its beginning, so the WAL stays bounded.
/// </summary>
internal sealed partial class WalCheckpointer : IAsyncDisposable
{
    /// <summary>How often the loop looks; a checkpoint runs only if something was committed since the last one.</summary>
    internal static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    /// <summary>SQLite's own autocheckpoint threshold: a WAL smaller than this is left alone.</summary>
    private const long MinWalBytes = 1000 * 4096;

    private readonly string _walPath;
    private readonly SqliteConnection _connection;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _commits;

    public WalCheckpointer(string databasePath, TimeProvider timeProvider, ILogger logger)
    {
        _walPath = databasePath + "-wal";
        _logger = logger;
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        _connection.Open();
        _loop = RunAsync(timeProvider, _stop.Token);
    }

    /// <summary>Called by the committer after each commit; only a counter, the commit path never waits here.</summary>
    public void Committed() => Interlocked.Increment(ref _commits);

    private async Task RunAsync(TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Period, timeProvider);
        using SqliteCommand checkpoint = _connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        long checkpointed = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                long commits = Interlocked.Read(ref _commits);
                if (commits == checkpointed || !WalIsLarge())
                {
                    continue;
                }

                try
                {
                    checkpoint.ExecuteNonQuery();
                    checkpointed = commits;
                }
                catch (SqliteException ex)
                {
                    // The next tick tries again; meanwhile the WAL only grows, commits go on.
                    LogCheckpointFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // The file keeps its high-water size after the WAL restarts, so this only skips checkpoints while the WAL is still small.
    private bool WalIsLarge()
    {
        var wal = new FileInfo(_walPath);
        return wal.Exists && wal.Length >= MinWalBytes;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        await _connection.DisposeAsync();
    }
}
