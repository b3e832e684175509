using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Skiff.Agent.Kubelet.Server;

namespace Skiff.Agent.Tests.Kubelet.Server;

public sealed class CriLogReaderTests
{
    private const string File =
        "2026-11-28T10:00:01.000000001Z stdout F first\n" +
        "2026-11-28T10:00:02.500000000Z stdout P sec\n" +
        "2026-11-28T10:00:02.600000000Z stderr F an error\n" +
        "2026-11-28T10:00:02.700000000Z stdout F ond\n" +
        "2026-11-28T10:00:03.000000000Z stdout F \n" +
        "2026-11-28T10:00:04.123456789Z stdout F last\n";

    [Fact]
    public async Task CopyAsync_PartialLines_AreJoinedWithTheRestOfTheirStream()
    {
        string output = await ReadAsync(File, new ContainerLogOptions());

        Assert.Equal("first\nan error\nsecond\n\nlast\n", output);
    }

    [Fact]
    public async Task CopyAsync_TailLines_KeepsTheLastWholeLines()
    {
        Assert.Equal("last\n", await ReadAsync(File, new ContainerLogOptions { TailLines = 1 }));
        Assert.Equal("second\n\nlast\n", await ReadAsync(File, new ContainerLogOptions { TailLines = 3 }));
        Assert.Equal("", await ReadAsync(File, new ContainerLogOptions { TailLines = 0 }));
    }

    [Fact]
    public async Task CopyAsync_Since_DropsLinesStartedBefore()
    {
        var since = new DateTimeOffset(2026, 11, 28, 10, 0, 2, 550, TimeSpan.Zero);

        // "second" began (its P part) before since, so it goes with its first part's time, as one line.
        Assert.Equal("an error\n\nlast\n", await ReadAsync(File, new ContainerLogOptions { Since = since }));
    }

    [Fact]
    public async Task CopyAsync_Timestamps_PrefixEachLineWithItsFirstPartsTime()
    {
        string output = await ReadAsync(File, new ContainerLogOptions { Timestamps = true, TailLines = 3 });

        Assert.Equal(
            "2026-11-28T10:00:02.500000000Z second\n2026-11-28T10:00:03.000000000Z \n2026-11-28T10:00:04.123456789Z last\n",
            output);
    }

    [Fact]
    public async Task CopyAsync_LimitBytes_CutsTheOutputThere()
    {
        Assert.Equal("first\nan e", await ReadAsync(File, new ContainerLogOptions { LimitBytes = 10 }));
    }

    [Fact]
    public async Task CopyAsync_MalformedLinesAndAnUnfinishedLastLine_AreSkipped()
    {
        string output = await ReadAsync("garbage\n2026-11-28T10:00:01Z stdout F ok\n2026-11-28T10:00:02Z stdout F not yet ended", new ContainerLogOptions());

        Assert.Equal("ok\n", output);
    }

    [Fact]
    public async Task CopyAsync_Follow_SendsLinesAppendedLaterAndEndsWhenTheContainerStops()
    {
        string path = Path.Combine(Path.GetTempPath(), "crilog-" + Guid.NewGuid().ToString("N") + ".log");
        try
        {
            await System.IO.File.WriteAllTextAsync(path, "2026-11-28T10:00:01Z stdout F one\n");
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var output = new MemoryStream();
            bool running = true;
            var reader = new CriLogReader(file, output, new ContainerLogOptions { Follow = true });
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            Task copy = reader.CopyAsync(_ => ValueTask.FromResult(Volatile.Read(ref running)), timeout.Token);

            await System.IO.File.AppendAllTextAsync(path, "2026-11-28T10:00:02Z stdout P tw\n2026-11-28T10:00:02Z stdout F o\n");
            while (!Encoding.UTF8.GetString(output.ToArray()).Contains("two", StringComparison.Ordinal))
            {
                Assert.False(copy.IsCompleted, "follow ended while the container still ran");
                await Task.Delay(50, timeout.Token);
            }

            await System.IO.File.AppendAllTextAsync(path, "2026-11-28T10:00:03Z stdout F three\n");
            Volatile.Write(ref running, false);
            await copy.WaitAsync(timeout.Token);

            Assert.Equal("one\ntwo\nthree\n", Encoding.UTF8.GetString(output.ToArray()));
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void Parse_KubectlQuery_ReadsEveryOption()
    {
        var now = new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);
        var query = new QueryCollection(new Dictionary<string, StringValues>
        {
            ["follow"] = "true", ["previous"] = "true", ["timestamps"] = "true", ["tailLines"] = "5", ["limitBytes"] = "100", ["sinceSeconds"] = "60",
        });

        ContainerLogOptions options = ContainerLogOptions.Parse(query, now, out string? error);

        Assert.Null(error);
        Assert.Equal(new ContainerLogOptions { Follow = true, Previous = true, Timestamps = true, TailLines = 5, LimitBytes = 100, Since = now.AddMinutes(-1) }, options);
        ContainerLogOptions.Parse(new QueryCollection(new Dictionary<string, StringValues> { ["sinceTime"] = "2026-11-28T09:00:00Z" }), now, out error);
        Assert.Null(error);
        ContainerLogOptions.Parse(new QueryCollection(new Dictionary<string, StringValues> { ["tailLines"] = "x" }), now, out error);
        Assert.Equal("tailLines: invalid integer \"x\"", error);
    }

    private static async Task<string> ReadAsync(string content, ContainerLogOptions options)
    {
        using var file = new MemoryStream(Encoding.UTF8.GetBytes(content));
        using var output = new MemoryStream();
        await new CriLogReader(file, output, options).CopyAsync(null, CancellationToken.None);
        return Encoding.UTF8.GetString(output.ToArray());
    }
}
