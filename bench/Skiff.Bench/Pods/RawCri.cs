using System.Diagnostics;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Bench.Pods;

/// <summary>
/// The baseline: the same sandbox and busybox container a pod gets, created straight through the CRI client with no API
/// server, scheduler or kubelet in between. Its latency is RunPodSandbox + CreateContainer + StartContainer until
/// ContainerStatus reports RUNNING.
/// </summary>
internal static class RawCri
{
    public static async Task<Latency> SequentialAsync(CriClient cri, string logRoot, int count, CancellationToken cancellationToken)
    {
        var latency = new Latency();
        for (int i = 0; i < count; i++)
        {
            long started = Stopwatch.GetTimestamp();
            await RunOneAsync(cri, logRoot, $"raw-seq-{i}", cancellationToken);
            latency.RecordSince(started);
        }

        return latency;
    }

    public static async Task<Latency> BatchAsync(CriClient cri, string logRoot, int count, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        long[] done = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await RunOneAsync(cri, logRoot, $"raw-batch-{i}", cancellationToken);
            return Stopwatch.GetTimestamp() - started;
        }));
        var latency = new Latency();
        foreach (long ticks in done)
        {
            latency.Record(ticks);
        }

        return latency;
    }

    private static async Task RunOneAsync(CriClient cri, string logRoot, string name, CancellationToken cancellationToken)
    {
        string uid = Guid.NewGuid().ToString();
        string logDir = Path.Combine(logRoot, $"bench_{name}_{uid}");
        Directory.CreateDirectory(logDir);
        var sandbox = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Namespace = "bench", Uid = uid },
            Hostname = name,
            LogDirectory = logDir,
            Labels = { ["io.kubernetes.pod.name"] = name, ["io.kubernetes.pod.namespace"] = "bench", ["io.kubernetes.pod.uid"] = uid },
            Linux = new LinuxPodSandboxConfig(),
        };
        string sandboxId = (await cri.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = sandbox }, cri.Options(cancellationToken, TimeSpan.FromMinutes(2)))).PodSandboxId;
        var container = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = "main" },
            Image = new ImageSpec { Image = BenchNode.Image },
            LogPath = "main/0.log",
            Labels = { ["io.kubernetes.container.name"] = "main", ["io.kubernetes.pod.uid"] = uid },
            Linux = new LinuxContainerConfig(),
        };
        container.Command.AddRange(["sleep", "3600"]);
        string containerId = (await cri.Runtime.CreateContainerAsync(
            new CreateContainerRequest { PodSandboxId = sandboxId, Config = container, SandboxConfig = sandbox }, cri.Options(cancellationToken))).ContainerId;
        await cri.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = containerId }, cri.Options(cancellationToken));
        while ((await cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = containerId }, cri.Options(cancellationToken))).Status.State != ContainerState.ContainerRunning)
        {
            await Task.Delay(5, cancellationToken);
        }
    }
}
