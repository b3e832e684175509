using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Store.Sqlite;

namespace Skiff.Store.Tests.Sqlite;

public sealed class SqliteCrashTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    [Fact]
    public async Task KillDashNine_DuringWriteLoad_LosesNoAcknowledgedWriteAndTearsNothing()
    {
        string database = _directory.File("state.db");
        var acknowledged = new Dictionary<string, long>();
        using (Process writer = StartWriter(database))
        {
            try
            {
                while (acknowledged.Count < 3000)
                {
                    string? line = await writer.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
                    Assert.NotNull(line);
                    string[] parts = line.Split(' ');
                    acknowledged[parts[1]] = long.Parse(parts[2], CultureInfo.InvariantCulture);
                }
            }
            finally
            {
                // SIGKILL in the middle of the load: no chance to flush or close anything.
                writer.Kill();
                await writer.WaitForExitAsync();
            }
        }

        await using SqliteStore store = SqliteStore.Open(database, TimeProvider.System, NullLogger<SqliteStore>.Instance);
        ListResult all = await store.ListAsync("/crash/", new ListOptions(), default);
        var stored = all.Items.ToDictionary(i => i.Key);

        Assert.All(acknowledged, ack =>
        {
            Assert.True(stored.TryGetValue(ack.Key, out KeyValue? item), $"acknowledged write {ack.Key} is missing");
            Assert.Equal(ack.Value, item.ModRevision);
        });
        Assert.All(stored.Values, item => Assert.Equal(CrashWriter.Program.ValueFor(item.Key), item.Value.ToArray()));
        Assert.Equal(stored.Count, all.Items.Select(i => i.ModRevision).Distinct().Count());
        Assert.True(await store.GetCurrentRevisionAsync(default) >= acknowledged.Values.Max());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    private static Process StartWriter(string database)
    {
        string writer = Path.Combine(AppContext.BaseDirectory, "Skiff.Store.CrashWriter.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
        start.ArgumentList.Add(writer);
        start.ArgumentList.Add(database);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the crash writer");
    }
}
