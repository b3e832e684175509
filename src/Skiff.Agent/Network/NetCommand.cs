using System.Diagnostics;

namespace Skiff.Agent.Network;

/// <summary>
/// Runs a short host tool to completion: the network tools (<c>ip</c>, <c>iptables</c>, <c>iptables-restore</c>, <c>sysctl</c>) and
/// the runtime's helpers (<c>gcc</c>, <c>ctr</c>), in the agent's own network namespace or, for tests, inside the namespace at
/// <see cref="NetnsPath"/> (through <c>nsenter --net</c>,
/// which leaves the mount namespace alone). A non-zero exit throws <see cref="NetCommandException"/> with the tool's output.
/// </summary>
public sealed class NetCommand
{
    /// <summary>Commands run in the caller's network namespace.</summary>
    public static readonly NetCommand Host = new(null);

    public NetCommand(string? netnsPath) => NetnsPath = netnsPath;

    /// <summary>A network namespace file such as <c>/run/netns/test1</c>; null: the agent's own namespace.</summary>
    public string? NetnsPath { get; }

    /// <summary>Runs <paramref name="fileName"/> with <paramref name="arguments"/>, writing <paramref name="stdin"/> to it when given; returns stdout.</summary>
    public async Task<string> RunAsync(string fileName, IEnumerable<string> arguments, string? stdin = null, CancellationToken cancellationToken = default)
    {
        var (code, stdout, stderr) = await TryRunAsync(fileName, arguments, stdin, cancellationToken).ConfigureAwait(false);
        if (code != 0)
        {
            throw new NetCommandException($"{fileName} {string.Join(' ', arguments)} exited with {code}: {(stderr + stdout).Trim()}", code);
        }

        return stdout;
    }

    /// <summary>Runs the command and returns its exit code and output instead of throwing (for checks such as <c>iptables -C</c>).</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> TryRunAsync(
        string fileName, IEnumerable<string> arguments, string? stdin = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo(NetnsPath is null ? fileName : "nsenter")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        if (NetnsPath is not null)
        {
            info.ArgumentList.Add("--net=" + NetnsPath);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(fileName);
        }

        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new NetCommandException($"{fileName} did not start", -1);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            if (stdin is not null)
            {
                try
                {
                    await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken).ConfigureAwait(false);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The tool exited before reading all its input (iptables-restore on a bad line): its exit code and
                    // stderr below say why, which a broken pipe would hide.
                }
            }

            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}

/// <summary>A network tool exited non-zero; the message carries its command line and output.</summary>
public sealed class NetCommandException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
