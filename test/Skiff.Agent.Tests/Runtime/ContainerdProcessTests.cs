using System.Text;
using Google.Protobuf;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Runtime;

/// <summary>Real containerd (Debian's 1.6) started by <see cref="ContainerdProcess"/>, driven over CRI; needs root.</summary>
public sealed class ContainerdProcessTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task StartAsync_GeneratedConfig_ServesCriReadyWithPauseImage_AndStopsByPid()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var node = await ContainerdTestNode.StartAsync(cts.Token);
        var client = node.Client;

        var version = await client.Runtime.VersionAsync(new VersionRequest { Version = "v1" }, client.Options(cts.Token));
        var status = await client.Runtime.StatusAsync(new StatusRequest(), client.Options(cts.Token));
        var pause = await client.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = PauseImage.Name } },
            client.Options(cts.Token));

        Assert.Equal("containerd", version.RuntimeName);
        Assert.Equal("v1", version.RuntimeApiVersion);
        Assert.True(CriClient.IsConditionTrue(status.Status, "RuntimeReady"));
        Assert.True(CriClient.IsConditionTrue(status.Status, "NetworkReady"));
        Assert.NotNull(pause.Image);
        Assert.Contains(PauseImage.Name, pause.Image.RepoTags);

        var pid = node.Containerd!.Pid;
        Assert.True(Directory.Exists($"/proc/{pid}"));
        await node.Containerd.StopAsync(cts.Token);
        Assert.False(node.Containerd.IsRunning);
        Assert.False(Directory.Exists($"/proc/{pid}"));
    }

    [Fact]
    public async Task RunPodSandbox_BusyboxContainer_RunsExecsStopsAndIsRemoved()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using var node = await ContainerdTestNode.StartAsync(cts.Token);
        var client = node.Client;
        const string busybox = "skiff.local/busybox:test";
        await node.ImportBusyboxAsync(busybox, cts.Token);

        var sandboxConfig = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = "web", Namespace = "default", Uid = Guid.NewGuid().ToString(), Attempt = 0 },
            Hostname = "web",
            LogDirectory = node.LogDir,
            Linux = new LinuxPodSandboxConfig(),
        };
        var sandbox = await client.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = sandboxConfig }, client.Options(cts.Token));
        var sandboxStatus = await client.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = sandbox.PodSandboxId },
            client.Options(cts.Token));
        Assert.Equal(PodSandboxState.SandboxReady, sandboxStatus.Status.State);
        var subnetPrefix = node.Options.PodSubnet[..(node.Options.PodSubnet.LastIndexOf('.') + 1)];
        Assert.StartsWith(subnetPrefix, sandboxStatus.Status.Network.Ip, StringComparison.Ordinal);

        var containerConfig = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = "app" },
            Image = new ImageSpec { Image = busybox },
            Command = { "sh", "-c", "echo hello; sleep 3600" },
            Envs = { new KeyValue { Key = "GREETING", Value = ByteString.CopyFromUtf8("hello") } },
            LogPath = "app/0.log",
            Linux = new LinuxContainerConfig(),
        };
        var created = await client.Runtime.CreateContainerAsync(
            new CreateContainerRequest { PodSandboxId = sandbox.PodSandboxId, Config = containerConfig, SandboxConfig = sandboxConfig },
            client.Options(cts.Token));
        await client.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = created.ContainerId }, client.Options(cts.Token));

        var running = await client.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = created.ContainerId },
            client.Options(cts.Token));
        Assert.Equal(ContainerState.ContainerRunning, running.Status.State);
        Assert.Contains(" stdout F hello", await ReadLogAsync(Path.Combine(node.LogDir, "app", "0.log"), "hello", cts.Token), StringComparison.Ordinal);

        var exec = await client.Runtime.ExecSyncAsync(
            new ExecSyncRequest { ContainerId = created.ContainerId, Cmd = { "sh", "-c", "echo $GREETING-exec" }, Timeout = 10 },
            client.Options(cts.Token, TimeSpan.FromSeconds(15)));
        // The exec sees the container's environment: GREETING was passed as a CRI KeyValue.
        Assert.Equal(0, exec.ExitCode);
        Assert.Equal("hello-exec\n", exec.Stdout.ToStringUtf8());

        // sh as PID 1 ignores SIGTERM, so the one-second grace period ends with SIGKILL; the deadline outlasts the grace period.
        await client.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = created.ContainerId, Timeout = 1 },
            client.Options(cts.Token, TimeSpan.FromSeconds(15)));
        var exited = await client.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = created.ContainerId },
            client.Options(cts.Token));
        Assert.Equal(ContainerState.ContainerExited, exited.Status.State);
        Assert.Contains(exited.Status.ExitCode, new[] { 137, 143 });

        await client.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = created.ContainerId }, client.Options(cts.Token));
        await client.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = sandbox.PodSandboxId }, client.Options(cts.Token));
        await client.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = sandbox.PodSandboxId }, client.Options(cts.Token));
        var containers = await client.Runtime.ListContainersAsync(new ListContainersRequest(), client.Options(cts.Token));
        var pods = await client.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), client.Options(cts.Token));
        Assert.Empty(containers.Containers);
        Assert.Empty(pods.Items);
    }

    /// <summary>The CRI log file once it holds <paramref name="expected"/>: the container writes it a moment after it starts.</summary>
    private static async Task<string> ReadLogAsync(string path, string expected, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (File.Exists(path))
            {
                var text = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(path, cancellationToken));
                if (text.Contains(expected, StringComparison.Ordinal))
                {
                    return text;
                }
            }
            await Task.Delay(TimeSpan.FromMilliseconds(25), cancellationToken);
        }
    }
}
