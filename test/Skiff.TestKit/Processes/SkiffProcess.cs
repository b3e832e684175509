using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Skiff.TestKit.Processes;

/// <summary>
/// A real <c>skiff</c> process (<c>dotnet skiff.dll ARGS</c>) with its output captured, stopped by PID: SIGTERM for a graceful
/// stop the test can assert on, SIGKILL in <see cref="DisposeAsync"/> if it is still running, so no test leaks a process.
/// </summary>
public sealed partial class SkiffProcess : IAsyncDisposable
{
    public const int Sigterm = 15;
    public const int Sigint = 2;
    private const int LinesKept = 500;

    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private SkiffProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The skiff.dll beside the test assembly (a test project referencing src/Skiff gets it copied there).</summary>
    public static string DefaultSkiffDll => Path.Combine(AppContext.BaseDirectory, "skiff.dll");

    public static SkiffProcess Start(IEnumerable<string> arguments, string? skiffDll = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        string dll = skiffDll ?? DefaultSkiffDll;
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} does not exist; reference src/Skiff from the test project");
        }

        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var skiff = new SkiffProcess(process);
        process.OutputDataReceived += (_, e) => skiff.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => skiff.Remember(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return skiff;
    }

    /// <summary>The last lines written to stdout and stderr, to assert on or to explain a failure.</summary>
    public string Output()
    {
        lock (_output)
        {
            return string.Join('\n', _output);
        }
    }

    /// <summary>Sends a signal to the process by PID.</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited && SendSignal(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    /// <exception cref="TimeoutException">It is still running after <paramref name="timeout"/>.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"skiff (pid {_process.Id}) did not exit within {timeout}:\n{Output()}");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGTERM, then waits for the exit code.</summary>
    public Task<int> StopAsync(TimeSpan timeout)
    {
        Signal(Sigterm);
        return WaitForExitAsync(timeout);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, the process exits, or the time is up.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        long started = TimeProvider.System.GetTimestamp();
        while (TimeProvider.System.GetElapsedTime(started) < timeout)
        {
            if (await condition())
            {
                return;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"skiff exited with code {_process.ExitCode} before {what}:\n{Output()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System);
        }

        throw new TimeoutException($"skiff did not reach {what} within {timeout}:\n{Output()}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > LinesKept)
            {
                _output.Dequeue();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
