using System.Diagnostics;
using Skiff.TestKit.Processes;

namespace Skiff.TestKit.Etcd;

/// <summary>
/// A throw-away single-member etcd on loopback ports, with its data in a fresh temp directory, for tests and benchmarks
/// that need the real thing rather than a fake.
/// </summary>
public sealed class EtcdProcess : IAsyncDisposable
{
    private const string EtcdPath = "/usr/bin/etcd";
    private const int LogLinesKept = 200;
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(10);

    private readonly DirectoryInfo _directory;
    private readonly string _peerUrl;
    private readonly Queue<string> _log = new();
    private Process _process;

    private EtcdProcess(DirectoryInfo directory, string clientUrl, string peerUrl)
    {
        _directory = directory;
        ClientUrl = clientUrl;
        _peerUrl = peerUrl;
        _process = StartProcess();
    }

    /// <summary>The client URL, <c>http://127.0.0.1:PORT</c>.</summary>
    public string ClientUrl { get; }

    /// <summary>The etcd process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Starts etcd and returns once its client port reports it healthy.</summary>
    /// <exception cref="InvalidOperationException">etcd is not installed, exited, or did not become healthy in time.</exception>
    public static async Task<EtcdProcess> StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(EtcdPath))
        {
            throw new InvalidOperationException($"{EtcdPath} is missing; install it with: apt-get install -y etcd-server");
        }

        // A free port found by binding port 0 can be taken again before etcd binds it, so a failed start is retried on new ports.
        const int attempts = 3;
        for (int attempt = 1; ; attempt++)
        {
            EtcdProcess etcd = Launch();
            try
            {
                await etcd.WaitHealthyAsync(cancellationToken);
                return etcd;
            }
            catch (InvalidOperationException) when (attempt < attempts && etcd._process.HasExited)
            {
                await etcd.DisposeAsync();
            }
            catch
            {
                await etcd.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>
    /// Stops etcd with SIGTERM and starts it again on the same ports and data, as an operator restart would; returns once it
    /// is healthy. Clients see their connections and watch streams break.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        await StopAsync();
        _process.Dispose();
        _process = StartProcess();
        await WaitHealthyAsync(cancellationToken);
    }

    /// <summary>Stops etcd with SIGTERM (killing it if it lingers), then deletes its data.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _process.Dispose();
            try
            {
                _directory.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is harmless; failing the test run over it is not.
            }
        }
    }

    private async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        if (!PosixSignal.Terminate(_process.Id))
        {
            _process.Kill(entireProcessTree: true);
        }

        using var timeout = new CancellationTokenSource(s_stopTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>The last lines etcd wrote, to explain a failure.</summary>
    public string RecentLog()
    {
        lock (_log)
        {
            return string.Join('\n', _log);
        }
    }

    private static EtcdProcess Launch()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("skiff-etcd-");
        return new EtcdProcess(directory, $"http://127.0.0.1:{LoopbackPort.Free()}", $"http://127.0.0.1:{LoopbackPort.Free()}");
    }

    private Process StartProcess()
    {
        var start = new ProcessStartInfo(EtcdPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory.FullName,
        };
        foreach (string argument in (string[])[
            "--name", "skiff-test",
            "--data-dir", Path.Combine(_directory.FullName, "data"),
            "--listen-client-urls", ClientUrl,
            "--advertise-client-urls", ClientUrl,
            "--listen-peer-urls", _peerUrl,
            "--initial-advertise-peer-urls", _peerUrl,
            "--initial-cluster", "skiff-test=" + _peerUrl,
            "--initial-cluster-state", "new",
            "--logger", "zap",
            "--log-level", "warn",
        ])
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        long started = TimeProvider.System.GetTimestamp();
        while (TimeProvider.System.GetElapsedTime(started) < s_startTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"etcd exited with code {_process.ExitCode} while starting:\n{RecentLog()}");
            }

            try
            {
                string body = await http.GetStringAsync(new Uri(ClientUrl + "/health"), cancellationToken);
                if (body.Contains("\"health\":\"true\"", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, cancellationToken);
        }

        throw new InvalidOperationException($"etcd did not become healthy within {s_startTimeout}:\n{RecentLog()}");
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > LogLinesKept)
            {
                _log.Dequeue();
            }
        }
    }
}
