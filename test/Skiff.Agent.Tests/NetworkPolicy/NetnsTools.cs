using System.Diagnostics;

namespace Skiff.Agent.Tests.NetworkPolicy;

/// <summary>Runs <c>ip</c>, <c>iptables</c>, <c>busybox</c> … on the test host or inside a test netns (through <c>nsenter --net</c>).</summary>
internal static class NetnsTools
{
    public static string Path(string netns) => "/run/netns/" + netns;

    public static async Task<(int Code, string Output)> TryRunAsync(string? netns, params string[] command)
    {
        var info = new ProcessStartInfo(netns is null ? command[0] : "nsenter")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (netns is not null)
        {
            info.ArgumentList.Add("--net=" + Path(netns));
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(command[0]);
        }

        foreach (string argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    public static async Task<string> RunAsync(string? netns, params string[] command)
    {
        (int code, string output) = await TryRunAsync(netns, command);
        Assert.True(code == 0, $"{string.Join(' ', command)} in {netns ?? "host"} exited {code}: {output}");
        return output;
    }

    /// <summary>Starts a long-running process in <paramref name="netns"/>; the caller kills it by PID.</summary>
    public static Process Start(string netns, params string[] command)
    {
        var info = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("--net=" + Path(netns));
        info.ArgumentList.Add("--");
        foreach (string argument in command)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info)!;
    }
}
