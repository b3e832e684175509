using k8s;
using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Kubelet.Config;

public sealed partial class KubeletConfigTests
{
    [Fact]
    public async Task SecurityContext_RunAsUserIsTheUid_ReadOnlyRootRefusesWrites_RunAsNonRootRefusesARootImage()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Container user = Busybox("sleep 3600");
        user.Name = "user";
        user.SecurityContext = new V1SecurityContext { RunAsUser = 1234, AllowPrivilegeEscalation = false };
        V1Container readOnly = Busybox("sleep 3600");
        readOnly.Name = "ro";
        readOnly.SecurityContext = new V1SecurityContext { ReadOnlyRootFilesystem = true };
        V1Pod pod = NewPod("sec", user, readOnly);
        pod.Spec.SecurityContext = new V1PodSecurityContext { RunAsUser = 99, FsGroup = 2000 };
        pod.Spec.Containers[1].SecurityContext.RunAsUser = 0;

        V1Pod running = await RunAsync(pod, cts.Token);

        Assert.Equal("1234", (await ExecAsync(running, "user", ["/bin/busybox", "id", "-u"], cts.Token)).Stdout.ToStringUtf8().Trim());
        Assert.Contains("2000", (await ExecAsync(running, "user", ["/bin/busybox", "id", "-G"], cts.Token)).Stdout.ToStringUtf8(), StringComparison.Ordinal);
        Assert.Contains("NoNewPrivs:\t1", (await ExecAsync(running, "user", ["/bin/busybox", "cat", "/proc/self/status"], cts.Token)).Stdout.ToStringUtf8(), StringComparison.Ordinal);
        ExecSyncResponse write = await ExecAsync(running, "ro", ["/bin/busybox", "touch", "/tmp/x"], cts.Token);
        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Read-only file system", write.Stderr.ToStringUtf8(), StringComparison.Ordinal);
        await DeletePodAsync(running, cts.Token);

        V1Container nonRoot = Busybox("sleep 3600");
        nonRoot.SecurityContext = new V1SecurityContext { RunAsNonRoot = true };
        V1Pod refused = await Client.CoreV1.CreateNamespacedPodAsync(NewPod("nonroot", nonRoot), "default", cancellationToken: cts.Token);
        V1Pod waiting = await WaitForPodAsync(refused, p => p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Waiting?.Reason == "CreateContainerConfigError", cts.Token);
        Assert.StartsWith("container has runAsNonRoot and image will run as root", waiting.Status.ContainerStatuses.Single().State.Waiting.Message, StringComparison.Ordinal);
        await DeletePodAsync(waiting, cts.Token);
    }

    [Fact]
    public async Task HostPort_AnswersOnTheNodesLoopback()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        int hostPort = 20000 + Random.Shared.Next(10000);
        V1Container web = Busybox("echo hello-from-pod > /tmp/index.html && exec /bin/busybox httpd -f -p 8080 -h /tmp");
        web.Ports = [new V1ContainerPort { ContainerPort = 8080, HostPort = hostPort }];

        V1Pod running = await RunAsync(NewPod("hostport", web), cts.Token);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string body = await Poll.UntilAsync(
            async ct =>
            {
                try
                {
                    return await http.GetStringAsync(new Uri($"http://127.0.0.1:{hostPort}/index.html"), ct);
                }
                catch (HttpRequestException)
                {
                    return null; // httpd not listening yet
                }
            },
            _ => true,
            cts.Token);
        Assert.Equal("hello-from-pod\n", body);
        await DeletePodAsync(running, cts.Token);
    }
}
