using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Bench.Pods;

/// <summary>
/// The benchmark's containerd: its own data dir, bridge and /24, a busybox image imported at start, stopped by PID on
/// dispose with every sandbox removed, leftover mounts unmounted and the bridge deleted.
/// </summary>
internal sealed class BenchNode : IAsyncDisposable
{
    public const string Image = "skiff.local/bench-busybox:1";

    private BenchNode(ContainerdOptions options, ContainerdProcess containerd)
    {
        Options = options;
        Containerd = containerd;
    }

    public ContainerdOptions Options { get; }

    public ContainerdProcess Containerd { get; }

    public CriClient Cri => Containerd.Client;

    public static async Task<BenchNode> StartAsync(string dataDir, CancellationToken cancellationToken)
    {
        string id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        var options = new ContainerdOptions
        {
            DataDir = dataDir,
            BridgeName = "skbench" + id,
            PodSubnet = $"10.{200 + Random.Shared.Next(50)}.{Random.Shared.Next(256)}.0/24",
        };
        ContainerdProcess containerd = await ContainerdProcess.StartAsync(options, NullLogger<ContainerdProcess>.Instance, cancellationToken);
        var node = new BenchNode(options, containerd);
        try
        {
            string archive = Path.Combine(dataDir, "busybox.oci.tar");
            OciLayerEntry[] entries =
            [
                OciLayerEntry.Directory("bin"),
                OciLayerEntry.Directory("tmp"),
                OciLayerEntry.File("bin/busybox", "/bin/busybox"),
                OciLayerEntry.Symlink("bin/sh", "busybox"),
                OciLayerEntry.Symlink("bin/sleep", "busybox"),
            ];
            await OciImageArchive.WriteAsync(archive, Image, entries, ["/bin/sh"], cancellationToken);
            await PauseImage.ImportArchiveAsync(options, containerd.Client, archive, Image, cancellationToken);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops and removes every sandbox (the benchmark's pods, raw or the kubelet's).</summary>
    public async Task RemoveAllSandboxesAsync(CancellationToken cancellationToken)
    {
        var sandboxes = await Cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), Cri.Options(cancellationToken));
        await Parallel.ForEachAsync(sandboxes.Items, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (s, ct) =>
        {
            await Cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = s.Id }, Cri.Options(ct));
            await Cri.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = s.Id }, Cri.Options(ct));
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Containerd.IsRunning)
        {
            try
            {
                await RemoveAllSandboxesAsync(CancellationToken.None);
            }
            catch (Grpc.Core.RpcException)
            {
                // Best effort: the mounts and the dir go below anyway.
            }
        }

        await Containerd.DisposeAsync();
        foreach (string mount in File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')[1]).Where(p => p.StartsWith(Options.DataDir + "/", StringComparison.Ordinal)).Reverse())
        {
            Run("umount", "-l", mount);
        }

        Run("ip", "link", "del", Options.BridgeName);
    }

    private static void Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info)!;
        process.WaitForExit();
    }
}
