using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skiff.ApiServer.Instrumentation;

namespace Skiff.ApiServer.Audit;

/// <summary>
/// Writes audit events, one JSON object per line, to <c>--audit-log-path</c> (or stdout for "-"). Requests only hand a line
/// to a bounded queue; one loop here does the disk writes, so a slow disk never holds a request. When the queue is full
/// the event is dropped and counted (logged as 2511), as upstream's non-blocking backends do; events a disk error loses are
/// counted with them, and both show as <c>apiserver_audit_error_total{plugin="log"}</c>. The loop stops on cancellation
/// after writing what is queued, and rotates the file at <c>--audit-log-maxsize</c> MB.
/// </summary>
internal sealed partial class AuditLogWriter : BackgroundService
{
    /// <summary>The path meaning standard output.</summary>
    public const string StandardOutput = "-";

    private const int Capacity = 10_000;
    private readonly Channel<string> _queue = Channel.CreateBounded<string>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly string? _path;
    private readonly long _maxBytes;
    private readonly int _maxBackups;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<AuditLogWriter> _logger;
    private readonly ApiServerMetrics _metrics;
    private long _dropped;

    public AuditLogWriter(IOptions<ApiServerOptions> options, TimeProvider timeProvider, ApiServerMetrics metrics, ILogger<AuditLogWriter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _path = options.Value.AuditLogPath;
        _maxBytes = options.Value.AuditLogMaxSize * 1024L * 1024L;
        _maxBackups = options.Value.AuditLogMaxBackup;
        _timeProvider = timeProvider;
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>False without a log path: no events are produced at all.</summary>
    public bool Enabled => !string.IsNullOrEmpty(_path);

    /// <summary>Queues one event line; never waits.</summary>
    public void Write(string line)
    {
        if (!_queue.Writer.TryWrite(line))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        // Opened lazily by DrainAsync, and left null after a failure so the next batch tries again: a disk error or a
        // removed directory loses (and counts) events but never ends auditing, or the server with it.
        Stream? output = null;
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                output = await DrainAsync(output);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is queued is still written below.
        }
        finally
        {
            output = await DrainAsync(output);
            await CloseAsync(output);
        }
    }

    /// <summary>Ends the loop, then writes what is still queued (events of the last requests, or all of them when the loop never ran).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (Enabled && _queue.Reader.TryPeek(out _))
        {
            await CloseAsync(await DrainAsync(null));
        }
    }

    /// <summary>
    /// Writes every queued line and flushes; returns the stream to keep using, or null when it failed. Not cancellable: a
    /// line taken from the queue is written or counted as lost.
    /// </summary>
    private async Task<Stream?> DrainAsync(Stream? output)
    {
        long unflushed = 0;
        try
        {
            while (_queue.Reader.TryRead(out string? line))
            {
                unflushed++;
                byte[] bytes = Encoding.UTF8.GetBytes(line + "\n");
                if (_maxBytes > 0 && output is FileStream file && file.Length > 0 && file.Length + bytes.Length > _maxBytes)
                {
                    await CloseAsync(output);
                    output = null;
                    TryRotate();
                }

                output ??= Open();
                await output.WriteAsync(bytes);
            }

            if (output is not null)
            {
                await output.FlushAsync();
            }

            unflushed = 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            LogWriteFailed(_logger, _path!, e);
            await CloseAsync(output);
            output = null;

            // The lines taken but not flushed, and the rest of this batch (retrying the disk for each would only repeat
            // the error; the next batch reopens).
            long lost = unflushed;
            while (_queue.Reader.TryRead(out _))
            {
                lost++;
            }

            Interlocked.Add(ref _dropped, lost);
        }

        long dropped = Interlocked.Exchange(ref _dropped, 0);
        if (dropped > 0)
        {
            LogDropped(_logger, dropped);
            _metrics.CountAuditErrors(dropped);
        }

        return output;
    }

    /// <summary>Disposes a stream whose buffered bytes may no longer be writable without letting that error escape.</summary>
    private async Task CloseAsync(Stream? output)
    {
        if (output is null)
        {
            return;
        }

        try
        {
            await output.DisposeAsync();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogWriteFailed(_logger, _path!, e);
        }
    }

    private Stream Open()
    {
        if (_path == StandardOutput)
        {
            return Console.OpenStandardOutput();
        }

        if (Path.GetDirectoryName(Path.GetFullPath(_path!)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }

        return new FileStream(_path!, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    /// <summary>Rotates the full file; when that fails, auditing goes on into the full file rather than losing events.</summary>
    private void TryRotate()
    {
        try
        {
            Rotate();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogWriteFailed(_logger, _path!, e);
        }
    }

    /// <summary>Moves the full file to <c>path.&lt;UTC time&gt;</c>, keeps the newest --audit-log-maxbackup of those, and starts a new file.</summary>
    private void Rotate()
    {
        string stamp = _timeProvider.GetUtcNow().ToString("yyyy-MM-dd'T'HH-mm-ss.fff", CultureInfo.InvariantCulture);
        string backup = $"{_path}.{stamp}";
        for (int i = 1; File.Exists(backup); i++)
        {
            backup = $"{_path}.{stamp}-{i}";
        }

        File.Move(_path!, backup);
        if (_maxBackups > 0)
        {
            string directory = Path.GetDirectoryName(Path.GetFullPath(_path!))!;
            string[] backups = [.. Directory.GetFiles(directory).Where(f => f.StartsWith(Path.GetFullPath(_path!) + ".", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
            foreach (string old in backups.Take(Math.Max(0, backups.Length - _maxBackups)))
            {
                File.Delete(old);
            }
        }

        LogRotated(_logger, _path!, backup);
    }
}
