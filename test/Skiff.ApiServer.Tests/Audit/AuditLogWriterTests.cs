using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Skiff.ApiServer.Audit;

namespace Skiff.ApiServer.Tests.Audit;

public sealed class AuditLogWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("skiff-audit-writer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task StopAsync_QueuedLines_AreAllWrittenInOrder()
    {
        string path = Path.Combine(_directory, "audit.log");
        var writer = new AuditLogWriter(Options.Create(new ApiServerOptions { AuditLogPath = path }), TimeProvider.System, NullLogger<AuditLogWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);

        for (int i = 0; i < 500; i++)
        {
            writer.Write($$"""{"n":{{i}}}""");
        }

        await writer.StopAsync(CancellationToken.None);
        string[] lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $$"""{"n":{{i}}}"""), lines);
    }

    [Fact]
    public async Task Write_PastMaxSize_RotatesAndKeepsMaxBackups()
    {
        string path = Path.Combine(_directory, "audit.log");
        var writer = new AuditLogWriter(
            Options.Create(new ApiServerOptions { AuditLogPath = path, AuditLogMaxSize = 1, AuditLogMaxBackup = 2 }), TimeProvider.System, NullLogger<AuditLogWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        string line = new('x', 1000);

        // About 4.3 MB in 1 MB files: four rotations, of which the newest two backups are kept.
        for (int i = 0; i < 4500; i++)
        {
            writer.Write(line);
            if (i % 1000 == 0)
            {
                await Task.Yield();
            }
        }

        await writer.StopAsync(CancellationToken.None);
        string[] backups = [.. Directory.GetFiles(_directory).Where(f => f.StartsWith(path + ".", StringComparison.Ordinal))];
        Assert.Equal(2, backups.Length);
        Assert.All(backups.Append(path), f => Assert.True(new FileInfo(f).Length <= 1024 * 1024, $"{f} is over 1 MB"));
        Assert.Equal(4500 - (4 * 1047), File.ReadAllLines(path).Length);
    }
}
