using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Prometheus;
using Skiff.ApiServer.Audit;
using Skiff.ApiServer.Instrumentation;

namespace Skiff.ApiServer.Tests.Audit;

public sealed class AuditLogWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("skiff-audit-writer-").FullName;
    private readonly CollectorRegistry _metrics = Prometheus.Metrics.NewCustomRegistry();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task StopAsync_QueuedLines_AreAllWrittenInOrder()
    {
        string path = Path.Combine(_directory, "audit.log");
        var writer = new AuditLogWriter(Options.Create(new ApiServerOptions { AuditLogPath = path }), TimeProvider.System, new ApiServerMetrics(_metrics, TimeProvider.System), NullLogger<AuditLogWriter>.Instance);
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
            Options.Create(new ApiServerOptions { AuditLogPath = path, AuditLogMaxSize = 1, AuditLogMaxBackup = 2 }), TimeProvider.System, new ApiServerMetrics(_metrics, TimeProvider.System), NullLogger<AuditLogWriter>.Instance);
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

    [Fact]
    public async Task Write_QueueFull_ReturnsAtOnceAndCountsTheDrops()
    {
        AuditLogWriter writer = Writer(new ApiServerOptions { AuditLogPath = Path.Combine(_directory, "audit.log") });

        // Not started: nothing drains the queue, so everything past its capacity of 10,000 is dropped, without waiting.
        Task writes = Task.Run(() =>
        {
            for (int i = 0; i < 10_025; i++)
            {
                writer.Write("{}");
            }
        });
        await writes.WaitAsync(TimeSpan.FromSeconds(10));
        await writer.StartAsync(CancellationToken.None);
        await writer.StopAsync(CancellationToken.None);

        Assert.Equal(10_000, File.ReadAllLines(Path.Combine(_directory, "audit.log")).Length);
        Assert.Equal(25, await AuditErrorsAsync());
    }

    [Fact]
    public async Task Write_LogDirectoryReplacedMidRun_KeepsWritingAfterItsReturnAndCountsTheLoss()
    {
        string logDirectory = Path.Combine(_directory, "logs");
        string path = Path.Combine(logDirectory, "audit.log");
        AuditLogWriter writer = Writer(new ApiServerOptions { AuditLogPath = path, AuditLogMaxSize = 1, AuditLogMaxBackup = 1 });
        await writer.StartAsync(CancellationToken.None);
        string line = new('x', 1000);
        for (int i = 0; i < 600; i++)
        {
            writer.Write(line);
        }

        await Eventually(() => File.Exists(path) && new FileInfo(path).Length >= 600 * 1001);

        // The directory disappears and a file takes its place: the rotation at 1 MB cannot move the log or open a new one.
        Directory.Delete(logDirectory, recursive: true);
        await File.WriteAllTextAsync(logDirectory, "not a directory");
        for (int i = 0; i < 600; i++)
        {
            writer.Write(line);
        }

        await Eventually(async () => await AuditErrorsAsync() > 0);
        await Task.Delay(200);
        writer.Write("""{"during":true}""");
        await Task.Delay(200);
        Assert.False(writer.ExecuteTask!.IsCompleted, "the audit writer stopped after the failed rotation");

        File.Delete(logDirectory);
        string[] after = [.. Enumerable.Range(0, 50).Select(i => $$"""{"after":{{i}}}""")];
        foreach (string next in after)
        {
            writer.Write(next);
        }

        await writer.StopAsync(CancellationToken.None);
        Assert.Equal(after, File.ReadAllLines(path).Where(l => l.StartsWith("{\"after\"", StringComparison.Ordinal)));
        Assert.True(await AuditErrorsAsync() >= 1, "the lost events are not counted");
    }

    private AuditLogWriter Writer(ApiServerOptions options) =>
        new(Options.Create(options), TimeProvider.System, new ApiServerMetrics(_metrics, TimeProvider.System), NullLogger<AuditLogWriter>.Instance);

    /// <summary>apiserver_audit_error_total{plugin="log"} as /metrics shows it.</summary>
    private async Task<double> AuditErrorsAsync()
    {
        using var buffer = new MemoryStream();
        await _metrics.CollectAndExportAsTextAsync(buffer, CancellationToken.None);
        string text = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        string? sample = text.Split('\n').FirstOrDefault(l => l.StartsWith("apiserver_audit_error_total{plugin=\"log\"} ", StringComparison.Ordinal));
        return sample is null ? 0 : double.Parse(sample[(sample.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task Eventually(Func<bool> condition) => await Eventually(() => Task.FromResult(condition()));

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            await Task.Delay(25, timeout.Token);
        }
    }
}
