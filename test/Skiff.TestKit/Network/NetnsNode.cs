using System.Globalization;
using System.Net;
using Skiff.TestKit.Processes;

namespace Skiff.TestKit.Network;

/// <summary>
/// One <c>skiff agent</c> of a <see cref="NetnsCluster"/>: its own network namespace with one address on the test LAN, its own
/// data directory, and the containerd the agent starts inside that namespace. <see cref="DisposeAsync"/> leaves nothing behind:
/// containers still running are killed through containerd, the agent stops by PID, then containerd and any shim left over
/// (found by the data directory on their command line), then the mounts under the data directory, then the namespace.
/// </summary>
public sealed class NetnsNode : IAsyncDisposable
{
    internal NetnsNode(string name, IPAddress address, NetworkNamespace netns, string dataDirectory, ChildProcess agent)
    {
        Name = name;
        Address = address;
        Netns = netns;
        DataDirectory = dataDirectory;
        Agent = agent;
    }

    /// <summary>The Node's name.</summary>
    public string Name { get; }

    /// <summary>The node's InternalIP on the LAN (<c>--node-ip</c>).</summary>
    public IPAddress Address { get; }

    public NetworkNamespace Netns { get; }

    public string DataDirectory { get; }

    /// <summary>The <c>skiff agent</c> process (its output explains a failure).</summary>
    public ChildProcess Agent { get; }

    /// <summary>The socket of the containerd the agent started.</summary>
    public string ContainerdSocket => Path.Combine(DataDirectory, "agent", "containerd", "containerd.sock");

    private string ContainerdPidFile => Path.Combine(DataDirectory, "agent", "containerd", "containerd.pid");

    public async ValueTask DisposeAsync()
    {
        await KillContainersAsync();
        await Agent.DisposeAsync();
        if (ReadPid(ContainerdPidFile) is { } containerd && IsRunning(containerd))
        {
            await StopPidAsync(containerd);
        }

        foreach (int shim in ProcessesMentioning(DataDirectory))
        {
            PosixSignal.Send(shim, PosixSignal.Sigkill);
        }

        await MountTable.UnmountUnderAsync(DataDirectory);
        await Netns.DisposeAsync();
    }

    /// <summary>SIGKILL and removal of every task containerd still runs (the pods the test could not delete through the API).</summary>
    private async Task KillContainersAsync()
    {
        if (!File.Exists(ContainerdSocket))
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string[] ctr = ["-a", ContainerdSocket, "-n", "k8s.io"];
        try
        {
            (int code, string output) = await Netns.RunAsync("ctr", [.. ctr, "tasks", "ls", "-q"], timeout.Token);
            if (code != 0)
            {
                return;
            }

            foreach (string id in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await Netns.RunAsync("ctr", [.. ctr, "tasks", "kill", "-a", "-s", "SIGKILL", id], timeout.Token);
                await Netns.RunAsync("ctr", [.. ctr, "tasks", "rm", "-f", id], timeout.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // containerd hangs: the PID-based steps below still run.
        }
    }

    private static async Task StopPidAsync(int pid)
    {
        PosixSignal.Send(pid, PosixSignal.Sigterm);
        for (int i = 0; i < 50 && IsRunning(pid); i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        if (IsRunning(pid))
        {
            PosixSignal.Send(pid, PosixSignal.Sigkill);
        }
    }

    private static int? ReadPid(string file) =>
        File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;

    private static bool IsRunning(int pid) => Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>Processes whose command line names <paramref name="path"/> (containerd shims carry their socket's path).</summary>
    private static IEnumerable<int> ProcessesMentioning(string path)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(dir, "cmdline"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (commandLine.Contains(path + "/", StringComparison.Ordinal))
            {
                yield return pid;
            }
        }
    }
}
