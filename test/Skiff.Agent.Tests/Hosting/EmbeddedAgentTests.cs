using k8s;
using k8s.Models;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Hosting;

/// <summary><c>skiff server</c> runs its own node: registration, a pod on it, and both survive kill -9 of skiff and of containerd.</summary>
public sealed class EmbeddedAgentTests(EmbeddedAgentFixture fixture) : IClassFixture<EmbeddedAgentFixture>
{
    [Fact]
    public async Task Server_RegistersItsOwnNode_ReadyWithAllocatableBelowCapacity_ControlPlaneRole_AndKubeletPort()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        V1Node node = await WaitForAsync(async () =>
        {
            V1Node n = await fixture.Client.CoreV1.ReadNodeAsync(fixture.NodeName, cancellationToken: timeout.Token);
            return n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true ? n : null;
        }, timeout.Token);

        Assert.Equal("true", node.Metadata.Labels["node-role.kubernetes.io/control-plane"]);
        Assert.Equal(fixture.NodeName, node.Metadata.Labels["kubernetes.io/hostname"]);
        Assert.Equal("linux", node.Metadata.Labels["kubernetes.io/os"]);
        Assert.Equal(fixture.ClusterCidr, node.Spec.PodCIDR);
        Assert.Equal(fixture.KubeletPort, node.Status.DaemonEndpoints.KubeletEndpoint.Port);
        Assert.Contains(node.Status.Addresses, a => a.Type == "InternalIP" && a.Address == "127.0.0.1");
        Assert.StartsWith("containerd://", node.Status.NodeInfo.ContainerRuntimeVersion, StringComparison.Ordinal);
        // --kube-reserved cpu=100m,memory=256Mi and the default memory.available<100Mi come off allocatable.
        decimal cpu = node.Status.Capacity["cpu"].ToDecimal();
        Assert.Equal(cpu - 0.1m, node.Status.Allocatable["cpu"].ToDecimal());
        Assert.Equal(node.Status.Capacity["memory"].ToDecimal() - (356m * 1024 * 1024), node.Status.Allocatable["memory"].ToDecimal());
        Assert.True(node.Status.Allocatable["ephemeral-storage"].ToDecimal() < node.Status.Capacity["ephemeral-storage"].ToDecimal());
        Assert.All(new[] { "MemoryPressure", "DiskPressure", "PIDPressure" }, type =>
            Assert.Equal("False", node.Status.Conditions.Single(c => c.Type == type).Status));
        Assert.Equal("KubeletReady", node.Status.Conditions.Single(c => c.Type == "Ready").Reason);
    }

    [Fact]
    public async Task Pod_OnTheServersNode_Runs_AndKeepsItsContainerAcrossKill9OfSkiffAndOfContainerd()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        CancellationToken token = timeout.Token;
        string name = "survivor-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodSpec
            {
                NodeName = fixture.NodeName,
                TerminationGracePeriodSeconds = 1,
                Containers = [new V1Container { Name = "app", Image = EmbeddedAgentFixture.BusyboxImage, Command = ["sleep", "3600"] }],
            },
        };
        await fixture.Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: token);
        V1ContainerStatus first = await RunningAsync(name, token);
        int containerdPid = fixture.Data.ContainerdPid() ?? throw new InvalidOperationException("no containerd");

        // kill -9 skiff: containerd (own session) and the pod keep running; the restarted server reuses that containerd.
        await fixture.KillServerAsync();
        Assert.Equal(containerdPid, fixture.Data.ContainerdPid());
        Assert.True(await ContainerRunningAsync(first.ContainerID, token));
        await fixture.StartAsync(token);
        // /readyz answers before the agent is up: wait for its decision, then check it reused rather than started one.
        string decided = await WaitForAsync(() => Task.FromResult(
            fixture.Server.Output() is var o && (o.Contains("reusing containerd", StringComparison.Ordinal) || o.Contains("containerd started", StringComparison.Ordinal)) ? o : null), token);
        Assert.Contains("reusing containerd", decided, StringComparison.Ordinal);
        Assert.DoesNotContain("containerd started", decided, StringComparison.Ordinal);
        await WaitForAsync(async () =>
        {
            V1Pod p = await fixture.Client.CoreV1.ReadNamespacedPodAsync(name, "default", cancellationToken: token);
            // The status written after the restart carries the same container (and the kubelet has relisted by then).
            return fixture.Data.ContainerdPid() == containerdPid && p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null ? p : null;
        }, token);
        await Task.Delay(TimeSpan.FromSeconds(3), token);
        V1ContainerStatus afterRestart = (await fixture.Client.CoreV1.ReadNamespacedPodAsync(name, "default", cancellationToken: token)).Status.ContainerStatuses.Single();
        Assert.Equal(first.ContainerID, afterRestart.ContainerID);
        Assert.Equal(0, afterRestart.RestartCount);

        // kill -9 containerd: the agent starts it again, and the pod's container is still the same one, running.
        using (var process = System.Diagnostics.Process.GetProcessById(containerdPid))
        {
            process.Kill();
        }

        await WaitForAsync(() => Task.FromResult(fixture.Data.ContainerdPid() is { } pid && pid != containerdPid ? "restarted" : null), token);
        Assert.True(await ContainerRunningAsync(first.ContainerID, token));
        V1ContainerStatus afterCrash = (await RunningAsync(name, token));
        Assert.Equal(first.ContainerID, afterCrash.ContainerID);
        Assert.Equal(0, afterCrash.RestartCount);
    }

    private async Task<V1ContainerStatus> RunningAsync(string name, CancellationToken token) =>
        await WaitForAsync(async () =>
        {
            V1Pod p = await fixture.Client.CoreV1.ReadNamespacedPodAsync(name, "default", cancellationToken: token);
            return p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.SingleOrDefault() is { State.Running: not null } s ? s : null;
        }, token);

    private async Task<bool> ContainerRunningAsync(string containerId, CancellationToken token)
    {
        string id = containerId["containerd://".Length..];
        using var cri = CriClient.Connect(fixture.Data.Containerd.SocketPath);
        var status = await WaitForAsync(async () =>
        {
            try
            {
                return await cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id }, cri.Options(token, TimeSpan.FromSeconds(5)));
            }
            catch (Grpc.Core.RpcException)
            {
                return null; // containerd is (re)starting
            }
        }, token);
        return status.Status.State == ContainerState.ContainerRunning;
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, CancellationToken token)
        where T : class
    {
        while (true)
        {
            try
            {
                if (await probe() is { } found)
                {
                    return found;
                }
            }
            catch (k8s.Autorest.HttpOperationException) when (!token.IsCancellationRequested)
            {
                // Not there yet.
            }

            await Task.Delay(200, token);
        }
    }
}
