using System.Text;
using k8s;
using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Kubelet.Config;

/// <summary>What the container and sandbox config do to real containers (real skiff server, real containerd, needs root).</summary>
public sealed partial class KubeletConfigTests(KubeletFixture fixture) : IClassFixture<KubeletFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    private Kubernetes Client => fixture.Client;

    [Fact]
    public async Task Env_FromDownwardApiConfigMapSecretAndEnvFrom_IsSeenInsideTheContainer()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string suffix = Hex();
        await Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm-" + suffix }, Data = new Dictionary<string, string> { ["color"] = "blue", ["size"] = "L" } },
            "default", cancellationToken: cts.Token);
        await Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = "s-" + suffix }, Data = new Dictionary<string, byte[]> { ["password"] = "s3cret"u8.ToArray() } },
            "default", cancellationToken: cts.Token);
        V1Container app = Busybox("sleep 3600");
        app.Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("64Mi") } };
        app.EnvFrom = [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = "cm-" + suffix }, Prefix = "CM_" }];
        app.Env =
        [
            new V1EnvVar { Name = "COLOR", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "cm-" + suffix, Key = "color" } } },
            new V1EnvVar { Name = "PASSWORD", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "s-" + suffix, Key = "password" } } },
            new V1EnvVar { Name = "OPTIONAL", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "none-" + suffix, Key = "k", Optional = true } } },
            new V1EnvVar { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } },
            new V1EnvVar { Name = "POD_IP", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "status.podIP" } } },
            new V1EnvVar { Name = "MEM_MI", ValueFrom = new V1EnvVarSource { ResourceFieldRef = new V1ResourceFieldSelector { Resource = "limits.memory", Divisor = new("1Mi") } } },
            new V1EnvVar { Name = "SUMMARY", Value = "$(COLOR)/$(CM_size)/$$(COLOR)" },
        ];

        V1Pod running = await RunAsync(NewPod("env", app), cts.Token);

        Dictionary<string, string> env = ParseEnv((await ExecAsync(running, "app", ["/bin/busybox", "env"], cts.Token)).Stdout);
        Assert.Equal("blue", env["COLOR"]);
        Assert.Equal("L", env["CM_size"]);
        Assert.Equal("s3cret", env["PASSWORD"]);
        Assert.False(env.ContainsKey("OPTIONAL"));
        Assert.Equal(running.Metadata.Name, env["POD_NAME"]);
        Assert.Equal(running.Status.PodIP, env["POD_IP"]);
        Assert.Equal("64", env["MEM_MI"]);
        Assert.Equal("blue/L/$(COLOR)", env["SUMMARY"]);
        // No cluster DNS server is configured, so ClusterFirst falls back to the node's resolver; the hostname is the pod's name.
        string resolv = (await ExecAsync(running, "app", ["/bin/busybox", "cat", "/etc/resolv.conf"], cts.Token)).Stdout.ToStringUtf8();
        Assert.All(File.ReadLines("/etc/resolv.conf").Where(l => l.StartsWith("nameserver ", StringComparison.Ordinal)).Take(3), l => Assert.Contains(l, resolv, StringComparison.Ordinal));
        Assert.Equal(running.Metadata.Name, (await ExecAsync(running, "app", ["/bin/busybox", "hostname"], cts.Token)).Stdout.ToStringUtf8().Trim());
        await DeletePodAsync(running, cts.Token);
    }

    [Fact]
    public async Task MissingConfigMapOrKey_LeavesTheContainerWaitingWithCreateContainerConfigError()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string suffix = Hex();
        await Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm-" + suffix }, Data = new Dictionary<string, string> { ["a"] = "1" } }, "default", cancellationToken: cts.Token);
        V1Container noKey = Busybox("sleep 3600");
        noKey.Name = "nokey";
        noKey.Env = [new V1EnvVar { Name = "X", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "cm-" + suffix, Key = "nope" } } }];
        V1Container noMap = Busybox("sleep 3600");
        noMap.Name = "nomap";
        noMap.EnvFrom = [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = "absent-" + suffix } }];
        V1Pod created = await Client.CoreV1.CreateNamespacedPodAsync(NewPod("cfgerr", noKey, noMap), "default", cancellationToken: cts.Token);

        V1Pod pending = await WaitForPodAsync(created, p => p.Status?.ContainerStatuses?.Count(s => s.State?.Waiting?.Reason == "CreateContainerConfigError") == 2, cts.Token);

        Assert.Equal("Pending", pending.Status.Phase);
        Assert.Equal($"couldn't find key nope in ConfigMap default/cm-{suffix}", pending.Status.ContainerStatuses.Single(s => s.Name == "nokey").State.Waiting.Message);
        Assert.Equal($"configmap \"absent-{suffix}\" not found", pending.Status.ContainerStatuses.Single(s => s.Name == "nomap").State.Waiting.Message);
        await DeletePodAsync(pending, cts.Token);
    }

    [Fact]
    public async Task CpuLimit_IsTheContainersCfsQuota_AndThePodCgroupSitsUnderItsQosUntilDeleted()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Container app = Busybox("sleep 3600");
        app.Resources = new V1ResourceRequirements
        {
            Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("250m"), ["memory"] = new("64Mi") },
        };

        V1Pod running = await RunAsync(NewPod("cpu", app), cts.Token);

        Assert.Equal("25000", (await ExecAsync(running, "app", ["/bin/busybox", "cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"], cts.Token)).Stdout.ToStringUtf8().Trim());
        // Guaranteed: directly under kubepods, with the pod's summed limits.
        string podCgroup = $"/sys/fs/cgroup/cpu{fixture.CgroupRoot}/kubepods/pod{running.Metadata.Uid}";
        Assert.Equal("25000", File.ReadAllText(Path.Combine(podCgroup, "cpu.cfs_quota_us")).Trim());
        Assert.Equal("256", File.ReadAllText(Path.Combine(podCgroup, "cpu.shares")).Trim());
        Assert.Equal((64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
            File.ReadAllText($"/sys/fs/cgroup/memory{fixture.CgroupRoot}/kubepods/pod{running.Metadata.Uid}/memory.limit_in_bytes").Trim());

        await DeletePodAsync(running, cts.Token);
        await Poll.UntilAsync(ct => Task.FromResult<string?>(Directory.Exists(podCgroup) ? null : "gone"), _ => true, cts.Token);
        Assert.Empty(Directory.EnumerateDirectories("/sys/fs/cgroup", "pod" + running.Metadata.Uid, SearchOption.AllDirectories));
    }

    [Fact]
    public async Task MemoryHog_Over32Mi_IsOomKilled_UnderTheBurstableCgroup()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Container app = Busybox("x=$(/bin/busybox head -c 200000000 /dev/zero | /bin/busybox tr '\\0' x); echo survived");
        app.Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("32Mi") } };
        V1Pod created = await Client.CoreV1.CreateNamespacedPodAsync(NewPod("oom", app), "default", cancellationToken: cts.Token);

        // Burstable (a limit without an equal cpu one): the pod cgroup appears under kubepods/burstable (the wait times out otherwise).
        string podCgroup = $"/sys/fs/cgroup/memory{fixture.CgroupRoot}/kubepods/burstable/pod{created.Metadata.Uid}";
        await Poll.UntilAsync(ct => Task.FromResult<string?>(Directory.Exists(podCgroup) ? "there" : null), _ => true, cts.Token);
        V1Pod failed = await WaitForPodAsync(created, p => p.Status?.Phase is "Failed" or "Succeeded", cts.Token);

        Assert.Equal("Failed", failed.Status.Phase);
        V1ContainerStateTerminated terminated = failed.Status.ContainerStatuses.Single().State.Terminated;
        Assert.Equal("OOMKilled", terminated.Reason);
        Assert.Equal(137, terminated.ExitCode);
        await DeletePodAsync(failed, cts.Token);
    }

    private static string Hex() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];

    private static V1Container Busybox(string script) => new() { Name = "app", Image = KubeletFixture.BusyboxImage, Command = ["sh", "-c", script] };

    private V1Pod NewPod(string prefix, params V1Container[] containers) => new()
    {
        Metadata = new V1ObjectMeta { Name = prefix + "-" + Hex() },
        Spec = new V1PodSpec { NodeName = fixture.NodeName, RestartPolicy = "Never", Containers = containers, TerminationGracePeriodSeconds = 0 },
    };

    private async Task<V1Pod> RunAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        V1Pod created = await Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: cancellationToken);
        return await WaitForPodAsync(created, p => p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.All(s => s.Ready) == true, cancellationToken);
    }

    private async Task<ExecSyncResponse> ExecAsync(V1Pod pod, string container, string[] cmd, CancellationToken cancellationToken)
    {
        string id = pod.Status.ContainerStatuses.Single(s => s.Name == container).ContainerID["containerd://".Length..];
        var request = new ExecSyncRequest { ContainerId = id, Timeout = 10 };
        request.Cmd.AddRange(cmd);
        var cri = fixture.Node.Client;
        return await cri.Runtime.ExecSyncAsync(request, cri.Options(cancellationToken));
    }

    private async Task DeletePodAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        await Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, "default", cancellationToken: cancellationToken);
        await Poll.UntilAsync(
            async ct => await Poll.NullIfNotFoundAsync(() => Client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, "default", cancellationToken: ct)) is null ? "gone" : null,
            _ => true,
            cancellationToken);
    }

    private static Dictionary<string, string> ParseEnv(Google.Protobuf.ByteString stdout) =>
        stdout.ToString(Encoding.UTF8).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);

    private Task<V1Pod> WaitForPodAsync(V1Pod pod, Func<V1Pod, bool> done, CancellationToken cancellationToken) =>
        Poll.UntilAsync(async ct => await Client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, "default", cancellationToken: ct), done, cancellationToken);
}
