using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Hosting;

/// <summary>
/// The data directory of a <c>skiff server</c> or <c>skiff agent</c> process that runs the node agent: where its containerd
/// lives, and the cleanup a test owes (pods removed over CRI, containerd stopped by the PID in its PID file — a kill -9'd
/// skiff leaves it running — leftover mounts unmounted, the CNI bridge deleted, the directory removed).
/// </summary>
internal sealed class AgentDataDirectory
{
    public AgentDataDirectory(string prefix)
    {
        Root = Path.Combine(Path.GetTempPath(), prefix + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8]);
        Directory.CreateDirectory(Root);
        Containerd = new ContainerdOptions { DataDir = Path.Combine(Root, "agent", "containerd"), ReadyTimeout = TimeSpan.FromSeconds(20) };
    }

    public string Root { get; }

    /// <summary>Paths only (socket, ctr); the agent wrote the real config.</summary>
    public ContainerdOptions Containerd { get; }

    /// <summary>The bridge the agent names after its containerd dir (NodeAddresses.BridgeName).</summary>
    public string BridgeName => "sk" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Containerd.DataDir)))[..8];

    /// <summary>The PID in containerd's PID file when that process is alive, else null.</summary>
    public int? ContainerdPid()
    {
        if (!File.Exists(Containerd.PidFilePath)
            || !int.TryParse(File.ReadAllText(Containerd.PidFilePath).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            return null;
        }

        return ContainerdProcess.IsOurContainerd(Containerd, pid) ? pid : null;
    }

    /// <summary>Packs /bin/busybox from busybox-static as <paramref name="name"/> and imports it into the agent's containerd.</summary>
    public async Task ImportBusyboxAsync(string name, CancellationToken cancellationToken)
    {
        var archive = Path.Combine(Root, "busybox.oci.tar");
        OciLayerEntry[] entries =
        [
            OciLayerEntry.Directory("bin"),
            OciLayerEntry.Directory("tmp"),
            OciLayerEntry.File("bin/busybox", "/bin/busybox"),
            .. new[] { "sh", "sleep", "echo", "cat", "ls" }.Select(a => OciLayerEntry.Symlink("bin/" + a, "busybox")),
        ];
        await OciImageArchive.WriteAsync(archive, name, entries, ["/bin/sh"], cancellationToken);
        using var client = CriClient.Connect(Containerd.SocketPath);
        await PauseImage.ImportArchiveAsync(Containerd, client, archive, name, cancellationToken);
    }

    /// <summary>
    /// Call after the skiff process stopped: removes the pods over CRI (starting containerd on the agent's own config.toml when
    /// the agent stopped it, since pods outlive it), stops containerd by PID, unmounts, deletes the bridge and the directory.
    /// </summary>
    public async Task CleanUpAsync()
    {
        int? pid = ContainerdPid();
        if (pid is null && File.Exists(Containerd.ConfigPath) && Directory.Exists(Path.Combine(Containerd.DataDir, "state")))
        {
            File.Delete(Containerd.SocketPath);
            var info = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "containerd", "--config", Containerd.ConfigPath })
            {
                info.ArgumentList.Add(a);
            }

            using Process started = Process.Start(info)!;
            started.BeginOutputReadLine();
            started.BeginErrorReadLine();
            pid = started.Id;
        }

        if (pid is { } running)
        {
            using (var client = CriClient.Connect(Containerd.SocketPath))
            {
                for (int i = 0; i < 200 && !await client.IsReadyAsync(TimeSpan.FromSeconds(2), CancellationToken.None); i++)
                {
                    await Task.Delay(50);
                }

                try
                {
                    var pods = await client.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), client.Options(CancellationToken.None, TimeSpan.FromSeconds(10)));
                    foreach (var pod in pods.Items)
                    {
                        await client.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod.Id }, client.Options(CancellationToken.None));
                        await client.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod.Id }, client.Options(CancellationToken.None));
                    }
                }
                catch (Grpc.Core.RpcException)
                {
                    // Best effort: mounts and the directory are removed below anyway.
                }
            }

            using var process = Process.GetProcessById(running);
            process.Kill();
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(exited.Token);
        }

        foreach (string mount in File.ReadAllLines("/proc/self/mounts")
                     .Select(l => l.Split(' ')[1].Replace("\\040", " ", StringComparison.Ordinal))
                     .Where(p => p.StartsWith(Root + "/", StringComparison.Ordinal))
                     .Reverse())
        {
            Run("umount", "-l", mount);
        }

        Run("ip", "link", "del", BridgeName);
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        process.WaitForExit();
    }
}
