using System.Diagnostics;
using System.Globalization;
using Skiff.TestKit.Processes;

namespace Skiff.Bench.Api;

/// <summary>
/// The real <c>skiff server</c> binary as a child process on a loopback port, with a fresh data directory; stopped with SIGTERM
/// and its directory deleted on dispose.
/// </summary>
internal sealed class SkiffServerProcess : IAsyncDisposable
{
    private const string BinaryVariable = "SKIFF_BIN";
    private const int LogLinesKept = 200;
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(15);

    private readonly DirectoryInfo _directory;
    private readonly Process _process;
    private readonly Queue<string> _log = new();

    private SkiffServerProcess(DirectoryInfo directory, string binary, int port, string? datastoreEndpoint)
    {
        _directory = directory;
        Port = port;
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory.FullName,
        };
        List<string> arguments =
        [
            "server",
            "--data-dir", DataDirectory,
            "--bind-address", "127.0.0.1",
            "--secure-port", port.ToString(CultureInfo.InvariantCulture),
            "--disable-agent",
            // Request logging at Information would put the console, not the server, on the measured path.
            "--log-level", "Warning",
        ];
        if (datastoreEndpoint is not null)
        {
            arguments.AddRange(["--datastore-endpoint", datastoreEndpoint]);
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Remember(e.Data);
        _process.ErrorDataReceived += (_, e) => Remember(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public int Port { get; }

    public string DataDirectory => Path.Combine(_directory.FullName, "data");

    public string Kubeconfig => Path.Combine(DataDirectory, "admin.kubeconfig");

    /// <summary>
    /// The <c>skiff</c> binary: <c>$SKIFF_BIN</c> if set (as for the e2e scenarios), else the Release build under the repository
    /// root that contains this benchmark.
    /// </summary>
    public static string LocateBinary()
    {
        if (Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : throw new InvalidOperationException($"{BinaryVariable}={configured} does not exist");
        }

        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Skiff.slnx")))
            {
                string binary = Path.Combine(directory.FullName, "src", "Skiff", "bin", "Release", "net10.0", "skiff");
                return File.Exists(binary)
                    ? binary
                    : throw new InvalidOperationException($"{binary} is missing; build it first: dotnet build src/Skiff -c Release");
            }
        }

        throw new InvalidOperationException($"no Skiff.slnx above {AppContext.BaseDirectory}; set {BinaryVariable} to the skiff binary");
    }

    /// <summary>Starts the server and returns once <c>/readyz</c> answers 200 and the <c>default</c> namespace exists.</summary>
    public static async Task<SkiffServerProcess> StartAsync(string binary, string? datastoreEndpoint, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("skiff-apibench-");
        var server = new SkiffServerProcess(directory, binary, LoopbackPort.Free(), datastoreEndpoint);
        try
        {
            await server.WaitReadyAsync(timeout, timeProvider, cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server's resident set size in bytes, from <c>VmRSS</c> in <c>/proc/PID/status</c>.</summary>
    public long ResidentBytes()
    {
        foreach (string line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                string kilobytes = line["VmRSS:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"no VmRSS in /proc/{Pid}/status");
    }

    public string RecentLog()
    {
        lock (_log)
        {
            return string.Join('\n', _log);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
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
                // A leftover temp directory is harmless; losing the report over it is not.
            }
        }
    }

    private async Task WaitReadyAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        long started = timeProvider.GetTimestamp();
        ApiClient? client = null;
        try
        {
            while (timeProvider.GetElapsedTime(started) < timeout)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"skiff server exited with code {_process.ExitCode} while starting:\n{RecentLog()}");
                }

                if (client is null && File.Exists(Kubeconfig))
                {
                    client = ApiClient.Open(Kubeconfig, http2: false);
                }

                if (client is not null)
                {
                    try
                    {
                        if ((await client.GetAsync("/readyz", cancellationToken)).IsSuccess
                            && (await client.GetAsync("/api/v1/namespaces/default", cancellationToken)).IsSuccess)
                        {
                            return;
                        }
                    }
                    catch (HttpRequestException)
                    {
                        // Not listening yet.
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), timeProvider, cancellationToken);
            }

            throw new InvalidOperationException($"skiff server was not ready within {timeout}:\n{RecentLog()}");
        }
        finally
        {
            client?.Dispose();
        }
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
