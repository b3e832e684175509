using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Store.Sqlite;

namespace Skiff.Store.Tests.Sqlite;

public sealed class SqliteStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => _directory.File("state.db");

    [Fact]
    public async Task Open_AfterRestart_KeepsDataRevisionAndHistory()
    {
        long revision;
        await using (SqliteStore store = Open())
        {
            WriteResult created = await store.CreateAsync("/r/a", "1"u8.ToArray(), null, default);
            revision = (await store.UpdateAsync("/r/a", "2"u8.ToArray(), created.Revision, null, default)).Revision;
        }

        await using SqliteStore reopened = Open();

        Assert.Equal(revision, await reopened.GetCurrentRevisionAsync(default));
        Assert.Equal("2"u8.ToArray(), (await reopened.GetAsync("/r/a", 0, default))!.Value.ToArray());
        Assert.Equal("1"u8.ToArray(), (await reopened.GetAsync("/r/a", revision - 1, default))!.Value.ToArray());
        WriteResult next = await reopened.CreateAsync("/r/b", "x"u8.ToArray(), null, default);
        Assert.Equal(revision + 1, next.Revision);
    }

    [Fact]
    public void Open_TextFile_IsRefusedAndLeftUntouched()
    {
        File.WriteAllText(DatabasePath, "these are somebody's notes, not a database\n");
        byte[] before = SHA256.HashData(File.ReadAllBytes(DatabasePath));

        StoreCorruptException error = Assert.Throws<StoreCorruptException>(() => Open());

        Assert.Contains("not a SQLite database", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(DatabasePath)));
    }

    [Fact]
    public void Open_AnotherProgramsSqliteDatabase_IsRefusedAndLeftUntouched()
    {
        using (var foreign = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            foreign.Open();
            using SqliteCommand command = foreign.CreateCommand();
            command.CommandText = "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices (total) VALUES (12.5);";
            command.ExecuteNonQuery();
        }

        byte[] before = SHA256.HashData(File.ReadAllBytes(DatabasePath));

        StoreCorruptException error = Assert.Throws<StoreCorruptException>(() => Open());

        Assert.Contains("another program", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(DatabasePath)));
        Assert.False(File.Exists(DatabasePath + "-wal"));
    }

    [Fact]
    public async Task Open_DamagedDatabase_IsRefusedAndLeftUntouched()
    {
        await using (SqliteStore store = Open())
        {
            for (int i = 0; i < 300; i++)
            {
                await store.CreateAsync($"/d/{i:D4}", new byte[1024], null, default);
            }
        }

        // Scribble over pages in the middle of the file, as a failing disk would.
        using (FileStream file = File.OpenWrite(DatabasePath))
        {
            file.Seek(file.Length / 2 / 4096 * 4096, SeekOrigin.Begin);
            file.Write(Enumerable.Repeat((byte)0xA5, 3 * 4096).ToArray());
        }

        byte[] before = SHA256.HashData(File.ReadAllBytes(DatabasePath));

        StoreCorruptException error = Assert.Throws<StoreCorruptException>(() => Open());

        Assert.Contains(DatabasePath, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(DatabasePath)));
    }

    [Fact]
    public async Task Compact_AfterHeavyChurn_FileStaysWithinTwiceTheLiveData()
    {
        const int Keys = 500;
        const int Rounds = 30;
        await using SqliteStore store = Open();
        var revisions = new long[Keys];
        for (int k = 0; k < Keys; k++)
        {
            revisions[k] = (await store.CreateAsync(Key(k), Value(k, 0), null, default)).Revision;
        }

        for (int round = 1; round <= Rounds; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, Keys).Select(async k =>
                revisions[k] = (await store.UpdateAsync(Key(k), Value(k, round), revisions[k], null, default)).Revision));
            if (round % 10 == 0)
            {
                await store.CompactAsync(await store.GetCurrentRevisionAsync(default), default);
            }
        }

        long live = 0;
        foreach (KeyValue item in (await store.ListAsync("/churn/", new ListOptions(), default)).Items)
        {
            live += item.Key.Length + item.Value.Length;
        }

        string stats;
        using (var c = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False"))
        {
            c.Open();
            using SqliteCommand q = c.CreateCommand();
            q.CommandText = "SELECT (SELECT page_count FROM pragma_page_count) || ' ' || (SELECT freelist_count FROM pragma_freelist_count) || ' ' || (SELECT count(*) FROM log) || ' ' || (SELECT auto_vacuum FROM pragma_auto_vacuum)";
            stats = (string)q.ExecuteScalar()!;
        }

        long onDisk = new FileInfo(DatabasePath).Length + FileLength(DatabasePath + "-wal");
        Assert.Equal(Keys * (Key(0).Length + 1024L), live);
        Assert.True(onDisk <= 2 * live, $"database is {new FileInfo(DatabasePath).Length}+{FileLength(DatabasePath + "-wal")} bytes for {live} bytes of live data ({stats}) after {Keys * Rounds} updates");
        Assert.Equal(Value(7, Rounds), (await store.GetAsync(Key(7), 0, default))!.Value.ToArray());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    private SqliteStore Open() => SqliteStore.Open(DatabasePath, TimeProvider.System, NullLogger<SqliteStore>.Instance);

    private static string Key(int k) => $"/churn/{k:D5}";

    private static byte[] Value(int k, int round)
    {
        byte[] value = new byte[1024];
        new Random((k * 1000) + round).NextBytes(value);
        return value;
    }

    private static long FileLength(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
}
