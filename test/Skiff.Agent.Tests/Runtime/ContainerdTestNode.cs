using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Runtime;

/// <summary>
/// A containerd of the test's own: data dir under the temp dir, its own bridge name and /24, stopped by PID and cleaned up
/// on dispose (pods removed, leftover mounts unmounted, bridge deleted, dir removed) even when the test failed half-way.
/// </summary>
internal sealed class ContainerdTestNode : IAsyncDisposable
{
    private ContainerdTestNode(ContainerdOptions options) => Options = options;

    public ContainerdOptions Options { get; }

    public ContainerdProcess? Containerd { get; private set; }

    public CriClient Client => Containerd?.Client ?? throw new InvalidOperationException("not started");

    public string LogDir => Path.Combine(Options.DataDir, "pod-logs");

    public static async Task<ContainerdTestNode> StartAsync(CancellationToken cancellationToken)
    {
        var id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8];
        var options = new ContainerdOptions
        {
            DataDir = Path.Combine(Path.GetTempPath(), "skiff-cri-" + id),
            BridgeName = "skcri" + id,
            PodSubnet = $"10.{200 + Random.Shared.Next(50)}.{Random.Shared.Next(256)}.0/24",
            ReadyTimeout = TimeSpan.FromSeconds(20),
            StopTimeout = TimeSpan.FromSeconds(5),
        };
        var node = new ContainerdTestNode(options);
        try
        {
            node.Containerd = await ContainerdProcess.StartAsync(options, NullLogger<ContainerdProcess>.Instance, cancellationToken);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Packs /bin/busybox from busybox-static as <paramref name="name"/> and imports it.</summary>
    public async Task ImportBusyboxAsync(string name, CancellationToken cancellationToken)
    {
        var archive = Path.Combine(Options.DataDir, "busybox.oci.tar");
        OciLayerEntry[] entries =
        [
            OciLayerEntry.Directory("bin"),
            OciLayerEntry.Directory("tmp"),
            OciLayerEntry.File("bin/busybox", "/bin/busybox"),
            .. new[] { "sh", "sleep", "echo", "cat", "ls" }.Select(a => OciLayerEntry.Symlink("bin/" + a, "busybox")),
        ];
        await OciImageArchive.WriteAsync(archive, name, entries, ["/bin/sh"], cancellationToken);
        await PauseImage.ImportArchiveAsync(Options, Client, archive, name, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Containerd is { IsRunning: true } containerd)
        {
            await RemoveAllPodsAsync(containerd.Client);
        }
        if (Containerd is not null)
        {
            await Containerd.DisposeAsync();
        }
        foreach (var mount in MountsUnder(Options.DataDir).Reverse())
        {
            Run("umount", "-l", mount);
        }
        Run("ip", "link", "del", Options.BridgeName);
        if (Directory.Exists(Options.DataDir))
        {
            Directory.Delete(Options.DataDir, recursive: true);
        }
    }

    private static async Task RemoveAllPodsAsync(CriClient client)
    {
        try
        {
            var pods = await client.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), client.Options(CancellationToken.None));
            foreach (var pod in pods.Items)
            {
                await client.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod.Id }, client.Options(CancellationToken.None));
                await client.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod.Id }, client.Options(CancellationToken.None));
            }
        }
        catch (Grpc.Core.RpcException)
        {
            // Best effort: the mounts and the dir are removed below anyway.
        }
    }

    private static IEnumerable<string> MountsUnder(string dir) =>
        File.ReadAllLines("/proc/self/mounts")
            .Select(l => l.Split(' ')[1].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(p => p.StartsWith(dir + "/", StringComparison.Ordinal));

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
