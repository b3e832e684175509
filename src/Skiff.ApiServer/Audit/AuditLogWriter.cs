using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Skiff.ApiServer.Audit;

/// <summary>
/// Writes audit events, one JSON object per line, to <c>--audit-log-path</c> (or stdout for "-"). Requests only hand a line
/// to a bounded queue; one loop here does the disk writes, so a slow disk never holds a request. When the queue is full
/// the event is dropped and counted (logged as 2511), as upstream's non-blocking backends do. The loop stops on
/// cancellation after writing what is queued, and rotates the file at <c>--audit-log-maxsize</c> MB.
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
    private long _dropped;

    public AuditLogWriter(IOptions<ApiServerOptions> options, TimeProvider timeProvider, ILogger<AuditLogWriter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _path = options.Value.AuditLogPath;
        _maxBytes = options.Value.AuditLogMaxSize * 1024L * 1024L;
        _maxBackups = options.Value.AuditLogMaxBackup;
        _timeProvider = timeProvider;
        _logger = logger;
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

        Stream? output = null;
        try
        {
            output = Open();
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
            if (output is not null)
            {
                output = await DrainAsync(output);
                await output.DisposeAsync();
            }
        }
    }

    /// <summary>Ends the loop, then writes what is still queued (events of the last requests, or all of them when the loop never ran).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (Enabled && _queue.Reader.TryPeek(out _))
        {
            Stream output = await DrainAsync(Open());
            await output.DisposeAsync();
        }
    }

    /// <summary>Writes every queued line and flushes. Not cancellable: a line taken from the queue is always written.</summary>
    private async Task<Stream> DrainAsync(Stream output)
    {
        try
        {
            while (_queue.Reader.TryRead(out string? line))
            {
                byte[] bytes = Encoding.UTF8.GetBytes(line + "\n");
                if (_maxBytes > 0 && output is FileStream file && file.Length > 0 && file.Length + bytes.Length > _maxBytes)
                {
                    await output.DisposeAsync();
                    output = RotateOrReopen();
                }

                await output.WriteAsync(bytes);
            }

            await output.FlushAsync();
        }
        catch (IOException e)
        {
            LogWriteFailed(_logger, _path!, e);
        }

        long dropped = Interlocked.Exchange(ref _dropped, 0);
        if (dropped > 0)
        {
            LogDropped(_logger, dropped);
        }

        return output;
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

    private Stream RotateOrReopen()
    {
        try
        {
            return Rotate();
        }
        catch (IOException e)
        {
            // Keep auditing into the full file rather than losing events.
            LogWriteFailed(_logger, _path!, e);
            return Open();
        }
    }

    /// <summary>Moves the full file to <c>path.&lt;UTC time&gt;</c>, keeps the newest --audit-log-maxbackup of those, and starts a new file.</summary>
    private FileStream Rotate()
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
        return (FileStream)Open();
    }
}
