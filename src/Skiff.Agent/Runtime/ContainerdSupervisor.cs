using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Runtime;

/// <summary>
/// Keeps the agent's containerd running: at start it reuses one that an earlier agent left running (pods stay as they are,
/// and the kubelet's relist adopts them), else starts one; when containerd dies it is started again with back-off (1 s
/// doubling to 30 s, reset after a minute of running). <see cref="StopAsync"/> stops containerd only when this agent
/// started it; pods keep running either way, as with k3s. <see cref="Client"/> dials the socket, so it survives restarts.
/// </summary>
public sealed partial class ContainerdSupervisor : IAsyncDisposable
{
    private static readonly TimeSpan s_firstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_healthyAfter = TimeSpan.FromMinutes(1);

    private readonly ContainerdOptions _options;
    private readonly ILogger<ContainerdProcess> _processLogger;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private ContainerdProcess _current;
    private Task? _loop;
    private bool _startedAny;

    private ContainerdSupervisor(ContainerdOptions options, ContainerdProcess current, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _options = options;
        _current = current;
        _startedAny = current.StartedHere;
        _processLogger = loggerFactory.CreateLogger<ContainerdProcess>();
        _logger = loggerFactory.CreateLogger<ContainerdSupervisor>();
        _time = time;
        Client = CriClient.Connect(options.SocketPath);
    }

    /// <summary>A CRI client on the socket, valid across containerd restarts.</summary>
    public CriClient Client { get; }

    /// <summary>The current containerd's PID.</summary>
    public int Pid => _current.Pid;

    /// <summary>True when the current containerd was found running at start rather than started by this agent.</summary>
    public bool Adopted => !_current.StartedHere;

    /// <summary>How many times containerd was started again after it died.</summary>
    public int Restarts { get; private set; }

    /// <summary>Reuses or starts containerd, returns once CRI is ready, and watches it until stopped.</summary>
    public static async Task<ContainerdSupervisor> StartAsync(
        ContainerdOptions options, ILoggerFactory loggerFactory, TimeProvider? timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ILogger<ContainerdProcess> logger = loggerFactory.CreateLogger<ContainerdProcess>();
        ContainerdProcess process = await ContainerdProcess.TryAdoptAsync(options, logger, cancellationToken).ConfigureAwait(false)
            ?? await ContainerdProcess.StartAsync(options, logger, cancellationToken).ConfigureAwait(false);
        var supervisor = new ContainerdSupervisor(options, process, loggerFactory, timeProvider ?? TimeProvider.System);
        supervisor._loop = Task.Run(() => supervisor.WatchAsync(supervisor._stop.Token), CancellationToken.None);
        return supervisor;
    }

    /// <summary>Stops watching; stops containerd when this agent started it (pods keep running), else leaves it running.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        if (_current.StartedHere || _startedAny)
        {
            await _current.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            Log.LeftRunning(_logger, _current.Pid);
            _current.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync().ConfigureAwait(false);
        }

        Client.Dispose();
        _stop.Dispose();
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        TimeSpan backoff = s_firstBackoff;
        try
        {
            while (true)
            {
                DateTimeOffset since = _time.GetUtcNow();
                await _current.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                if (_time.GetUtcNow() - since > s_healthyAfter)
                {
                    backoff = s_firstBackoff;
                }

                Log.Died(_logger, _current.Pid, backoff.TotalSeconds, _current.Tail());
                _current.Release();
                while (true)
                {
                    await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxBackoff.Ticks));
                    try
                    {
                        _current = await ContainerdProcess.StartAsync(_options, _processLogger, cancellationToken).ConfigureAwait(false);
                        _startedAny = true;
                        Restarts++;
                        Log.Restarted(_logger, _current.Pid, Restarts);
                        break;
                    }
                    catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException && !cancellationToken.IsCancellationRequested)
                    {
                        Log.RestartFailed(_logger, backoff.TotalSeconds, e);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(8018, LogLevel.Warning, "containerd (pid {Pid}) exited; starting it again in {Seconds:F0} s (pods keep running). Its last output:\n{Tail}")]
        public static partial void Died(ILogger logger, int pid, double seconds, string tail);

        [LoggerMessage(8019, LogLevel.Information, "containerd started again (pid {Pid}, restart {Restarts})")]
        public static partial void Restarted(ILogger logger, int pid, int restarts);

        [LoggerMessage(8020, LogLevel.Error, "starting containerd again failed; next try in {Seconds:F0} s")]
        public static partial void RestartFailed(ILogger logger, double seconds, Exception exception);

        [LoggerMessage(8021, LogLevel.Information, "leaving containerd (pid {Pid}) running: an earlier agent started it, and its pods keep running")]
        public static partial void LeftRunning(ILogger logger, int pid);
    }
}
