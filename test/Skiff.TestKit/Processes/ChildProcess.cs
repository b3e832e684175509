using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Skiff.TestKit.Processes;

/// <summary>
/// A child process (skiff, etcd, kubectl) with its output captured into a bounded tail, stopped by PID: SIGTERM for the graceful
/// stop a test can assert on, SIGKILL when it lingers past the stop timeout, so no test leaks a process.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(100);

    private readonly ChildProcessOptions _options;
    private readonly Process _process;
    private readonly OutputTail _output;

    private ChildProcess(ChildProcessOptions options)
    {
        _options = options;
        _output = new OutputTail(options.OutputLinesKept);
        var start = new ProcessStartInfo(options.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = options.WorkingDirectory ?? string.Empty,
        };
        foreach (string argument in options.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string? value) in options.Environment)
        {
            start.Environment[name] = value;
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => _output.Add(e.Data);
        _process.ErrorDataReceived += (_, e) => _output.Add(e.Data);
    }

    public string Name => _options.Name;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static ChildProcess Start(ChildProcessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var child = new ChildProcess(options);
        try
        {
            child._process.Start();
        }
        catch
        {
            child._process.Dispose();
            throw;
        }

        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The last lines written to stdout and stderr, to assert on or to explain a failure.</summary>
    public string Output() => _output.ToString();

    /// <summary>Sends a signal (<see cref="PosixSignal"/>) to the process by PID; nothing if it has already exited.</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited && !PosixSignal.Send(_process.Id, signal) && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    /// <exception cref="TimeoutException">It is still running after <paramref name="timeout"/>.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout, _options.TimeProvider);
        try
        {
            // With redirected output this also waits until the last line has been read.
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} (pid {_process.Id}) did not exit within {timeout}:\n{Output()}");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGTERM, then SIGKILL if it is still running after <paramref name="timeout"/>; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited && !PosixSignal.Send(_process.Id, PosixSignal.Sigterm))
        {
            Kill();
        }

        try
        {
            return await WaitForExitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
            return _process.ExitCode;
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds.</summary>
    /// <exception cref="ChildProcessExitedException">The process exited first.</exception>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/>.</exception>
    public async Task WaitUntilAsync(Func<CancellationToken, Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        TimeProvider time = _options.TimeProvider;
        long started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < timeout)
        {
            if (await condition(cancellationToken))
            {
                return;
            }

            if (_process.HasExited)
            {
                throw new ChildProcessExitedException($"{Name} exited with code {_process.ExitCode} before {what}:\n{Output()}");
            }

            await Task.Delay(s_pollInterval, time, cancellationToken);
        }

        throw new TimeoutException($"{Name} did not reach {what} within {timeout}:\n{Output()}");
    }

    /// <summary>Stops the process (SIGTERM, then SIGKILL after the stop timeout) if it is still running.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(_options.StopTimeout);
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
    }
}
