using System.Diagnostics;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Kubelet.Lifecycle;

/// <summary>Restarts, back-off and probes against a real skiff server and a real containerd (needs root).</summary>
public sealed class RestartAndProbeTests(LifecycleFixture fixture) : IClassFixture<LifecycleFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task LivenessProbe_Failing_KillsAndRestartsTheContainer()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Container app = LifecycleFixture.Shell("app", "echo ok > /tmp/healthy; sleep 2; busybox rm /tmp/healthy; exec sleep 3600");
        app.LivenessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["cat", "/tmp/healthy"] }, PeriodSeconds = 1, FailureThreshold = 1, TerminationGracePeriodSeconds = 1 };
        V1Pod created = await fixture.CreatePodAsync("live", new V1PodSpec { Containers = [app], RestartPolicy = "Always" }, cts.Token);

        V1Pod restarted = await fixture.WaitForPodAsync(created, p => p.Status?.ContainerStatuses?.SingleOrDefault() is { RestartCount: >= 1, State.Running: not null }, cts.Token);

        V1ContainerStatus status = restarted.Status.ContainerStatuses.Single();
        // Killed by the kubelet: SIGTERM (143), or SIGKILL (137) once the probe's 1 s grace (floored at 2 s) ran out.
        Assert.Contains(status.LastState.Terminated.ExitCode, new[] { 137, 143 });
        Assert.NotEqual(status.LastState.Terminated.ContainerID, status.ContainerID);
        Assert.Equal("Running", restarted.Status.Phase);
        List<ContainerStatus> runs = await fixture.CriContainersAsync(created, cts.Token);
        Assert.Equal([0u, 1u], runs.Select(r => r.Metadata.Attempt).Take(2));
        Assert.EndsWith("app/1.log", runs[1].LogPath, StringComparison.Ordinal);
        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", new V1DeleteOptions { GracePeriodSeconds = 0 }, cancellationToken: cts.Token);
    }

    [Fact]
    public async Task ReadinessProbe_FollowsTheFile_AfterTheStartupProbePassed()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Container app = LifecycleFixture.Shell("app", "exec sleep 3600");
        app.StartupProbe = new V1Probe { Exec = new V1ExecAction { Command = ["cat", "/tmp/started"] }, PeriodSeconds = 1, FailureThreshold = 60 };
        app.ReadinessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["cat", "/tmp/ready"] }, PeriodSeconds = 1 };
        V1Pod created = await fixture.CreatePodAsync("ready", new V1PodSpec { Containers = [app], TerminationGracePeriodSeconds = 1 }, cts.Token);
        V1Pod running = await fixture.WaitForPodAsync(created, p => p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null, cts.Token);
        string id = running.Status.ContainerStatuses.Single().ContainerID["containerd://".Length..];

        // Ready file present, but the startup probe has not passed: neither started nor ready.
        await ExecAsync(id, "echo y > /tmp/ready", cts.Token);
        await Task.Delay(TimeSpan.FromSeconds(2.5), cts.Token);
        V1Pod gated = await fixture.Client.CoreV1.ReadNamespacedPodAsync(created.Metadata.Name, "default", cancellationToken: cts.Token);
        Assert.False(gated.Status.ContainerStatuses.Single().Started);
        Assert.False(gated.Status.ContainerStatuses.Single().Ready);
        Assert.Equal("False", gated.Status.Conditions.Single(c => c.Type == "Ready").Status);

        await ExecAsync(id, "echo y > /tmp/started", cts.Token);
        V1Pod ready = await fixture.WaitForPodAsync(created, p => p.Status.Conditions.Single(c => c.Type == "Ready").Status == "True", cts.Token);
        Assert.True(ready.Status.ContainerStatuses.Single().Started);
        Assert.True(ready.Status.ContainerStatuses.Single().Ready);
        Assert.Equal("True", ready.Status.Conditions.Single(c => c.Type == "ContainersReady").Status);

        await ExecAsync(id, "busybox rm /tmp/ready", cts.Token);
        V1Pod unready = await fixture.WaitForPodAsync(created, p => p.Status.Conditions.Single(c => c.Type == "Ready").Status == "False", cts.Token);
        V1PodCondition containersReady = unready.Status.Conditions.Single(c => c.Type == "ContainersReady");
        Assert.Equal("ContainersNotReady", containersReady.Reason);
        Assert.Equal("containers with unready status: [app]", containersReady.Message);
        Assert.Equal(0, unready.Status.ContainerStatuses.Single().RestartCount);
        Assert.Equal("Running", unready.Status.Phase);
        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", new V1DeleteOptions { GracePeriodSeconds = 0 }, cancellationToken: cts.Token);
    }

    [Fact]
    public async Task HttpGetReadiness_OnANamedPort_AndTcpLiveness_ReachThePodIp()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Container web = LifecycleFixture.Shell("web", "busybox mkdir -p /tmp/www; exec busybox httpd -f -p 8080 -h /tmp/www");
        web.Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080 }];
        web.ReadinessProbe = new V1Probe
        {
            HttpGet = new V1HTTPGetAction { Port = "http", Path = "/healthz.txt", HttpHeaders = [new V1HTTPHeader { Name = "X-Probe", Value = "1" }] },
            PeriodSeconds = 1,
        };
        web.LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = 8080 }, PeriodSeconds = 1, FailureThreshold = 1 };
        V1Pod created = await fixture.CreatePodAsync("http", new V1PodSpec { Containers = [web], TerminationGracePeriodSeconds = 1 }, cts.Token);
        V1Pod running = await fixture.WaitForPodAsync(created, p => p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null, cts.Token);
        string id = running.Status.ContainerStatuses.Single().ContainerID["containerd://".Length..];

        // 404 until the page exists: running, live, not ready.
        await Task.Delay(TimeSpan.FromSeconds(2.5), cts.Token);
        V1Pod notFound = await fixture.Client.CoreV1.ReadNamespacedPodAsync(created.Metadata.Name, "default", cancellationToken: cts.Token);
        Assert.False(notFound.Status.ContainerStatuses.Single().Ready);

        await ExecAsync(id, "echo ok > /tmp/www/healthz.txt", cts.Token);
        V1Pod ready = await fixture.WaitForPodAsync(created, p => p.Status.ContainerStatuses.Single().Ready == true, cts.Token);

        Assert.Equal(0, ready.Status.ContainerStatuses.Single().RestartCount);
        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", new V1DeleteOptions { GracePeriodSeconds = 0 }, cancellationToken: cts.Token);
    }

    [Fact]
    public async Task CrashingContainer_ReachesCrashLoopBackOff_WithGrowingDelays()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Pod created = await fixture.CreatePodAsync("crash", new V1PodSpec { Containers = [LifecycleFixture.Shell("app", "exit 1")] }, cts.Token);
        var restartSeen = new Dictionary<int, TimeSpan>();
        var messages = new HashSet<string>();
        var clock = Stopwatch.StartNew();

        await fixture.WaitForPodAsync(
            created,
            p =>
            {
                V1ContainerStatus? s = p.Status?.ContainerStatuses?.SingleOrDefault();
                if (s is not null)
                {
                    restartSeen.TryAdd(s.RestartCount, clock.Elapsed);
                    if (s.State?.Waiting is { Reason: "CrashLoopBackOff" } w)
                    {
                        messages.Add(w.Message);
                    }
                }

                return s?.RestartCount >= 4;
            },
            cts.Token);

        string pattern = "^back-off (\\d+)s restarting failed container=app pod=" + Regex.Escape(created.Metadata.Name) + "_default\\(" + created.Metadata.Uid + "\\)$";
        Assert.All(messages, m => Assert.Matches(pattern, m));
        var delays = messages.Select(m => int.Parse(Regex.Match(m, pattern).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        Assert.Contains(2, delays);
        Assert.Contains(4, delays);
        TimeSpan early = restartSeen[2] - restartSeen[1];
        TimeSpan late = restartSeen[4] - restartSeen[3];
        Assert.True(late >= TimeSpan.FromSeconds(3.5) && late > early, $"restart 1→2 took {early}, 3→4 took {late}");
        // Older runs are removed; the newest and the one before it stay (lastState, logs --previous).
        Assert.True((await fixture.CriContainersAsync(created, cts.Token)).Count <= 2);
        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", new V1DeleteOptions { GracePeriodSeconds = 0 }, cancellationToken: cts.Token);
    }

    [Fact]
    public async Task OnFailure_ContainerExitingZero_EndsSucceededAndItsSandboxStops()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Pod created = await fixture.CreatePodAsync("done", new V1PodSpec { Containers = [LifecycleFixture.Shell("app", "exit 0")], RestartPolicy = "OnFailure" }, cts.Token);

        V1Pod done = await fixture.WaitForPodAsync(created, p => p.Status?.Phase is "Succeeded" or "Failed", cts.Token);

        Assert.Equal("Succeeded", done.Status.Phase);
        Assert.Equal("PodCompleted", done.Status.Conditions.Single(c => c.Type == "Ready").Reason);
        var cri = fixture.Node.Client;
        await LifecycleFixture.WaitForAsync(
            async ct => (await cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), cri.Options(ct))).Items.SingleOrDefault(s => s.Metadata.Uid == created.Metadata.Uid),
            s => s.State == PodSandboxState.SandboxNotready,
            cts.Token);
        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", cancellationToken: cts.Token);
        await fixture.WaitForPodGoneAsync(created, cts.Token);
    }

    private async Task ExecAsync(string containerId, string script, CancellationToken cancellationToken)
    {
        var cri = fixture.Node.Client;
        var request = new ExecSyncRequest { ContainerId = containerId, Timeout = 5 };
        request.Cmd.AddRange(["sh", "-c", script]);
        ExecSyncResponse response = await cri.Runtime.ExecSyncAsync(request, cri.Options(cancellationToken));
        Assert.Equal(0, response.ExitCode);
    }
}
