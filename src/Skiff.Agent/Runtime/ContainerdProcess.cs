using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Runtime;

/// <summary>
/// containerd run by the agent: <see cref="StartAsync"/> writes the config under the data dir, spawns containerd in its own
/// session with its output going to <see cref="ContainerdOptions.LogPath"/> (no pipe to the agent, so a killed agent does
/// not take containerd down), records its PID in <see cref="ContainerdOptions.PidFilePath"/>, waits until CRI reports
/// RuntimeReady and NetworkReady and imports the pause image. <see cref="TryAdoptAsync"/> finds a containerd that an earlier
/// agent started and that outlived it. <see cref="StopAsync"/> sends SIGTERM, then SIGKILL after the stop timeout. Pods
/// survive a containerd restart; stopping containerd does not stop them.
/// </summary>
public sealed partial class ContainerdProcess : IAsyncDisposable
{
    private const int TailLines = 40;

    // Our own child, or null for an adopted containerd (whose exit we can only observe by polling).
    private readonly Process? _process;
    private readonly ILogger _logger;
    private readonly long _logStart;
    private int? _exitCode;

    private ContainerdProcess(ContainerdOptions options, Process? process, int pid, ILogger logger, long logStart)
    {
        Options = options;
        _process = process;
        Pid = pid;
        _logger = logger;
        _logStart = logStart;
        Client = CriClient.Connect(options.SocketPath);
    }

    public ContainerdOptions Options { get; }

    /// <summary>containerd's process id.</summary>
    public int Pid { get; }

    /// <summary>False when this containerd was started by an earlier agent and adopted (<see cref="TryAdoptAsync"/>).</summary>
    public bool StartedHere => _process is not null;

    /// <summary>True until containerd has exited.</summary>
    public bool IsRunning => _process is not null ? !_process.HasExited : IsOurContainerd(Options, Pid);

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
        long logStart = File.Exists(options.LogPath) ? new FileInfo(options.LogPath).Length : 0;

        // sh redirects containerd's output to its log file, then setsid execs containerd in place (our child is never a group
        // leader), so the PID is containerd's and it keeps running in its own session when the agent dies.
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in new[] { "-c", "exec setsid \"$0\" --config \"$1\" </dev/null >>\"$2\" 2>&1", options.ContainerdPath, options.ConfigPath, options.LogPath })
        {
            info.ArgumentList.Add(a);
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        if (!process.Start())
        {
            throw new InvalidOperationException("containerd did not start");
        }
        var containerd = new ContainerdProcess(options, process, process.Id, logger, logStart);
        File.WriteAllText(options.PidFilePath, process.Id.ToString(CultureInfo.InvariantCulture) + "\n");
        Log.Started(logger, process.Id, options.SocketPath);

        try
        {
            var started = Stopwatch.GetTimestamp();
            await containerd.WaitReadyAsync(options.ReadyTimeout, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// The containerd an earlier agent started on these options, when its PID file names a live containerd with our config
    /// whose CRI answers ready; else null (nothing is started).
    /// </summary>
    public static async Task<ContainerdProcess?> TryAdoptAsync(ContainerdOptions options, ILogger<ContainerdProcess> logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (!File.Exists(options.PidFilePath)
            || !int.TryParse(File.ReadAllText(options.PidFilePath).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            || !IsOurContainerd(options, pid))
        {
            return null;
        }

        var containerd = new ContainerdProcess(options, null, pid, logger, File.Exists(options.LogPath) ? new FileInfo(options.LogPath).Length : 0);
        try
        {
            await containerd.WaitReadyAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            Log.NotAdopted(logger, pid, e.Message);
            containerd.Client.Dispose();
            return null;
        }

        Log.Adopted(logger, pid, options.SocketPath);
        return containerd;
    }

    /// <summary>SIGTERM, then SIGKILL when containerd is still running after <see cref="ContainerdOptions.StopTimeout"/>; returns its exit code (−1 when unknown).</summary>
    public async Task<int> StopAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning)
        {
            PosixSignal.Send(Pid, PosixSignal.Sigterm);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Options.StopTimeout);
            try
            {
                await WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Log.Killed(_logger, Pid, Options.StopTimeout.TotalSeconds);
                PosixSignal.Send(Pid, PosixSignal.Sigkill);
                await WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            File.Delete(Options.PidFilePath);
        }
        int code = _exitCode ?? (_process is { HasExited: true } p ? p.ExitCode : -1);
        Log.Stopped(_logger, Pid, code);
        return code;
    }

    /// <summary>Returns once containerd has exited (cancellable).</summary>
    public async Task WaitForExitAsync(CancellationToken cancellationToken)
    {
        if (_process is not null)
        {
            await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            _exitCode = _process.ExitCode;
            return;
        }

        // Not our child: no exit notification, so poll.
        while (IsOurContainerd(Options, Pid))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops containerd (see <see cref="StopAsync"/>) and releases the client.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Releases the client and process handle and leaves containerd running (an adopted one on the agent's clean stop).</summary>
    public void Release()
    {
        Client.Dispose();
        _process?.Dispose();
    }

    /// <summary>The last lines containerd logged since this instance started or adopted it.</summary>
    public string Tail()
    {
        try
        {
            using var stream = new FileStream(Options.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(Math.Min(_logStart, stream.Length), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var lines = new Queue<string>();
            while (reader.ReadLine() is { } line)
            {
                lines.Enqueue(line);
                if (lines.Count > TailLines)
                {
                    lines.Dequeue();
                }
            }
            return string.Join('\n', lines);
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>True when <paramref name="pid"/> is alive and is containerd running on <paramref name="options"/>' config (not a reused PID).</summary>
    internal static bool IsOurContainerd(ContainerdOptions options, int pid)
    {
        try
        {
            // A zombie still answers kill(0); its cmdline is empty, so it does not count as running.
            string cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Split('\0').Contains(options.ConfigPath, StringComparer.Ordinal) && cmdline.Contains("containerd", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private async Task WaitReadyAsync(TimeSpan readyTimeout, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(readyTimeout);
        try
        {
            while (true)
            {
                if (!IsRunning)
                {
                    string code = _process is { HasExited: true } p ? p.ExitCode.ToString(CultureInfo.InvariantCulture) : "unknown";
                    throw new InvalidOperationException($"containerd exited with {code} before CRI was ready:\n{Tail()}");
                }
                if (File.Exists(Options.SocketPath) && await Client.IsReadyAsync(TimeSpan.FromSeconds(2), timeout.Token).ConfigureAwait(false))
                {
                    return;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(25), TimeProvider.System, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"containerd's CRI was not ready (RuntimeReady, NetworkReady) within {readyTimeout}:\n{Tail()}");
        }
    }
}
