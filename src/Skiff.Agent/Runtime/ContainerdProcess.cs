using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Runtime;

/// <summary>
/// containerd run by the agent as a child: <see cref="StartAsync"/> writes the config under the data dir, spawns containerd in
/// its own session (so a terminal's Ctrl-C reaches only the agent), drains its output into the log, waits until CRI reports
/// RuntimeReady and NetworkReady and imports the pause image. <see cref="StopAsync"/> sends SIGTERM, then SIGKILL after the
/// stop timeout. Pods survive a containerd restart; stopping containerd does not stop them.
/// </summary>
public sealed partial class ContainerdProcess : IAsyncDisposable
{
    private const int TailLines = 40;

    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<string> _tail = new();

    private ContainerdProcess(ContainerdOptions options, Process process, ILogger logger)
    {
        Options = options;
        _process = process;
        _logger = logger;
        Client = CriClient.Connect(options.SocketPath);
    }

    public ContainerdOptions Options { get; }

    /// <summary>containerd's process id.</summary>
    public int Pid => _process.Id;

    /// <summary>True until containerd has exited.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>A CRI client on this containerd's socket.</summary>
    public CriClient Client { get; }

    /// <summary>Starts containerd and returns once it serves CRI with runtime and network ready.</summary>
    public static async Task<ContainerdProcess> StartAsync(ContainerdOptions options, ILogger<ContainerdProcess> logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ContainerdConfig.WriteAll(options);
        // A socket left by a killed instance would accept nothing and mislead the readiness poll.
        File.Delete(options.SocketPath);

        var info = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        // setsid execs containerd in place (our child is never a group leader), so the PID is containerd's.
        foreach (var a in new[] { options.ContainerdPath, "--config", options.ConfigPath })
        {
            info.ArgumentList.Add(a);
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var containerd = new ContainerdProcess(options, process, logger);
        process.OutputDataReceived += (_, e) => containerd.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => containerd.OnOutput(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("containerd did not start");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Log.Started(logger, process.Id, options.SocketPath);

        try
        {
            var started = Stopwatch.GetTimestamp();
            await containerd.WaitReadyAsync(cancellationToken).ConfigureAwait(false);
            Log.Ready(logger, process.Id, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (options.ImportPauseImage)
            {
                await PauseImage.ImportAsync(options, containerd.Client, cancellationToken).ConfigureAwait(false);
                Log.PauseImageImported(logger, options.SandboxImage);
            }
            return containerd;
        }
        catch
        {
            await containerd.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>SIGTERM, then SIGKILL when containerd is still running after <see cref="ContainerdOptions.StopTimeout"/>; returns its exit code.</summary>
    public async Task<int> StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_process.HasExited)
        {
            PosixSignal.Send(_process.Id, PosixSignal.Sigterm);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Options.StopTimeout);
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Log.Killed(_logger, _process.Id, Options.StopTimeout.TotalSeconds);
                _process.Kill();
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        Log.Stopped(_logger, _process.Id, _process.ExitCode);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            Client.Dispose();
            _process.Dispose();
        }
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.ReadyTimeout);
        try
        {
            while (true)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"containerd exited with {_process.ExitCode} before CRI was ready:\n{Tail()}");
                }
                if (File.Exists(Options.SocketPath) && await Client.IsReadyAsync(TimeSpan.FromSeconds(2), timeout.Token).ConfigureAwait(false))
                {
                    return;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(25), timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"containerd's CRI was not ready (RuntimeReady, NetworkReady) within {Options.ReadyTimeout}:\n{Tail()}");
        }
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }
        _tail.Enqueue(line);
        while (_tail.Count > TailLines && _tail.TryDequeue(out _))
        {
        }
        Log.Output(_logger, line);
    }

    private string Tail() => string.Join('\n', _tail);
}
