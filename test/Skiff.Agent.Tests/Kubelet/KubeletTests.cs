using k8s;
using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Kubelet;

/// <summary>The kubelet core against a real skiff server and a real containerd (needs root).</summary>
public sealed class KubeletTests(KubeletFixture fixture) : IClassFixture<KubeletFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    private Kubernetes Client => fixture.Client;

    [Fact]
    public async Task Node_RegistersReadyWithCapacity_AndRenewsItsLease()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Node node = await Poll.UntilAsync(
            async ct => await Poll.NullIfNotFoundAsync(() => Client.CoreV1.ReadNodeAsync(fixture.NodeName, cancellationToken: ct)),
            n => n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true,
            cts.Token);

        Assert.Equal("KubeletReady", node.Status.Conditions.Single(c => c.Type == "Ready").Reason);
        Assert.Equal(Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture), node.Status.Capacity["cpu"].ToString());
        Assert.Equal("110", node.Status.Capacity["pods"].ToString());
        Assert.True(node.Status.Capacity["memory"].ToInt64() > 0);
        Assert.True(node.Status.Allocatable["ephemeral-storage"].ToInt64() > 0);
        Assert.StartsWith("containerd://", node.Status.NodeInfo.ContainerRuntimeVersion, StringComparison.Ordinal);
        Assert.Equal(fixture.NodeName, node.Metadata.Labels["kubernetes.io/hostname"]);
        Assert.Equal("linux", node.Metadata.Labels["kubernetes.io/os"]);
        Assert.Contains(node.Status.Addresses, a => a.Type == "InternalIP" && a.Address == "127.0.0.1");

        V1Lease lease = await Client.CoordinationV1.ReadNamespacedLeaseAsync(fixture.NodeName, "kube-node-lease", cancellationToken: cts.Token);
        DateTime first = lease.Spec.RenewTime!.Value;
        V1Lease renewed = await Poll.UntilAsync(
            async ct => await Client.CoordinationV1.ReadNamespacedLeaseAsync(fixture.NodeName, "kube-node-lease", cancellationToken: ct),
            l => l.Spec.RenewTime > first,
            cts.Token);
        Assert.Equal(fixture.NodeName, renewed.Spec.HolderIdentity);
    }

    [Fact]
    public async Task Pod_BoundToNode_RunsWithPodIpAndReadyContainer()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Pod created = await CreatePodAsync("web", "echo hi; sleep 3600", "Always", cts.Token);

        V1Pod running = await WaitForPodAsync(created, p => p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.SingleOrDefault()?.Ready == true, cts.Token);

        string subnetPrefix = fixture.Node.Options.PodSubnet[..(fixture.Node.Options.PodSubnet.LastIndexOf('.') + 1)];
        Assert.StartsWith(subnetPrefix, running.Status.PodIP, StringComparison.Ordinal);
        Assert.Equal(running.Status.PodIP, running.Status.PodIPs.Single().Ip);
        Assert.Equal("127.0.0.1", running.Status.HostIP);
        Assert.NotNull(running.Status.StartTime);
        V1ContainerStatus app = running.Status.ContainerStatuses.Single();
        Assert.NotNull(app.State.Running?.StartedAt);
        Assert.True(app.Started);
        Assert.Equal(0, app.RestartCount);
        Assert.StartsWith("containerd://", app.ContainerID, StringComparison.Ordinal);
        Assert.Equal(KubeletFixture.BusyboxImage, app.Image);
        Assert.All(["PodScheduled", "Initialized", "ContainersReady", "Ready"],
            type => Assert.Equal("True", running.Status.Conditions.Single(c => c.Type == type).Status));
    }

    [Fact]
    public async Task Pod_ExitingNonZero_WithRestartPolicyNever_EndsFailedWithItsExitCode()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Pod created = await CreatePodAsync("exit3", "exit 3", "Never", cts.Token);

        V1Pod failed = await WaitForPodAsync(created, p => p.Status?.Phase is "Failed" or "Succeeded", cts.Token);

        Assert.Equal("Failed", failed.Status.Phase);
        V1ContainerStateTerminated terminated = failed.Status.ContainerStatuses.Single().State.Terminated;
        Assert.Equal(3, terminated.ExitCode);
        Assert.Equal("Error", terminated.Reason);
        Assert.NotNull(terminated.FinishedAt);
        Assert.Equal("False", failed.Status.Conditions.Single(c => c.Type == "Ready").Status);
    }

    [Fact]
    public async Task Pod_DeletedWithDefaultGrace_StopsOnSigtermAndDisappears_LeavingNoSandbox()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        // The shell traps SIGTERM (as PID 1 it would otherwise ignore it), so the default 30 s grace is not waited out.
        V1Pod created = await CreatePodAsync("deleteme", "trap 'exit 0' TERM; echo hi; sleep 3600 & wait", "Always", cts.Token);
        await WaitForPodAsync(created, p => p.Status?.Phase == "Running", cts.Token);

        var deleting = System.Diagnostics.Stopwatch.StartNew();
        await Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", cancellationToken: cts.Token);
        await Poll.UntilAsync(
            async ct => await Poll.NullIfNotFoundAsync(() => Client.CoreV1.ReadNamespacedPodAsync(created.Metadata.Name, "default", cancellationToken: ct)) is null ? "gone" : null,
            _ => true,
            cts.Token);

        Assert.True(deleting.Elapsed < TimeSpan.FromSeconds(10), $"the pod took {deleting.Elapsed} to go");
        var cri = fixture.Node.Client;
        var sandboxes = await cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), cri.Options(cts.Token));
        Assert.DoesNotContain(sandboxes.Items, s => s.Metadata.Uid == created.Metadata.Uid);
    }

    [Fact]
    public async Task Pod_ForceDeletedFromApi_HasItsSandboxRemovedByTheRelist()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Pod created = await CreatePodAsync("forced", "echo hi; sleep 3600", "Always", cts.Token);
        await WaitForPodAsync(created, p => p.Status?.Phase == "Running", cts.Token);

        // Grace 0 removes the pod from the API at once: the kubelet never sees a deletionTimestamp, only the pod going away.
        await Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", new V1DeleteOptions { GracePeriodSeconds = 0 }, cancellationToken: cts.Token);

        var cri = fixture.Node.Client;
        await Poll.UntilAsync(
            async ct => (await cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), cri.Options(ct))).Items.Any(s => s.Metadata.Uid == created.Metadata.Uid) ? null : "removed",
            _ => true,
            cts.Token);
    }

    [Fact]
    public async Task Pod_WithAnImageThatCannotBePulled_StaysPendingWithErrImagePullOrBackOff()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        // Nothing listens on loopback port 1, so the pull fails without leaving the machine.
        V1Pod created = await CreatePodAsync("nopull", "true", "Never", cts.Token, image: "127.0.0.1:1/skiff/missing:1");

        // A failed pull shows ErrImagePull until the pod's next sync, which (during the back-off) turns it into
        // ImagePullBackOff, as upstream's kubelet does: the first can last only milliseconds, so either reason is the answer.
        V1Pod pending = await WaitForPodAsync(
            created, p => p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Waiting?.Reason is "ErrImagePull" or "ImagePullBackOff", cts.Token);

        Assert.Equal("Pending", pending.Status.Phase);
        Assert.False(pending.Status.ContainerStatuses.Single().Ready);
        await Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", cancellationToken: cts.Token);
    }

    private async Task<V1Pod> CreatePodAsync(string prefix, string script, string restartPolicy, CancellationToken cancellationToken, string image = KubeletFixture.BusyboxImage)
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = prefix + "-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6] },
            Spec = new V1PodSpec
            {
                NodeName = fixture.NodeName,
                RestartPolicy = restartPolicy,
                Containers = [new V1Container { Name = "app", Image = image, Command = ["sh", "-c", script] }],
            },
        };
        return await Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: cancellationToken);
    }

    private Task<V1Pod> WaitForPodAsync(V1Pod pod, Func<V1Pod, bool> done, CancellationToken cancellationToken) =>
        Poll.UntilAsync(async ct => await Client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, "default", cancellationToken: ct), done, cancellationToken);
}
