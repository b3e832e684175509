using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Skiff.Agent.Kubelet.Config;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Kubelet.Lifecycle;

/// <summary>Init containers, sidecars, termination and adoption against a real skiff server and a real containerd (needs root).</summary>
public sealed class PodLifecycleTests(LifecycleFixture fixture) : IClassFixture<LifecycleFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task InitContainers_RunInOrder_BeforeTheApp()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var spec = new V1PodSpec
        {
            InitContainers = [LifecycleFixture.Shell("first", "sleep 1"), LifecycleFixture.Shell("second", "exit 0")],
            Containers = [LifecycleFixture.Shell("app", "exec sleep 3600")],
            TerminationGracePeriodSeconds = 1,
        };
        V1Pod created = await fixture.CreatePodAsync("init", spec, cts.Token);

        V1Pod running = await fixture.WaitForPodAsync(created, p => p.Status?.Phase == "Running" && p.Status.Conditions.Any(c => c.Type == "Ready" && c.Status == "True"), cts.Token);

        Assert.All(running.Status.InitContainerStatuses, s => Assert.Equal("Completed", s.State.Terminated?.Reason));
        Assert.All(running.Status.InitContainerStatuses, s => Assert.True(s.Ready));
        Assert.Equal("True", running.Status.Conditions.Single(c => c.Type == "Initialized").Status);
        Assert.Equal("True", running.Status.Conditions.Single(c => c.Type == "PodReadyToStartContainers").Status);
        Assert.Equal("BestEffort", running.Status.QosClass);
        var runs = (await fixture.CriContainersAsync(created, cts.Token)).ToDictionary(c => c.Metadata.Name);
        Assert.True(runs["first"].FinishedAt <= runs["second"].StartedAt, "second started before first finished");
        Assert.True(runs["second"].FinishedAt <= runs["app"].StartedAt, "app started before second finished");
        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", new V1DeleteOptions { GracePeriodSeconds = 0 }, cancellationToken: cts.Token);
    }

    [Fact]
    public async Task InitContainer_FailingUnderNever_FailsThePod_AndTheAppNeverStarts()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var spec = new V1PodSpec
        {
            InitContainers = [LifecycleFixture.Shell("setup", "exit 7")],
            Containers = [LifecycleFixture.Shell("app", "exec sleep 3600")],
            RestartPolicy = "Never",
        };
        V1Pod created = await fixture.CreatePodAsync("initfail", spec, cts.Token);

        V1Pod failed = await fixture.WaitForPodAsync(created, p => p.Status?.Phase is "Failed" or "Succeeded", cts.Token);

        Assert.Equal("Failed", failed.Status.Phase);
        Assert.Equal(7, failed.Status.InitContainerStatuses.Single().State.Terminated.ExitCode);
        Assert.Equal("PodInitializing", failed.Status.ContainerStatuses.Single().State.Waiting.Reason);
        V1PodCondition initialized = failed.Status.Conditions.Single(c => c.Type == "Initialized");
        Assert.Equal("False", initialized.Status);
        Assert.Equal("containers with incomplete status: [setup]", initialized.Message);
        Assert.DoesNotContain(await fixture.CriContainersAsync(created, cts.Token), c => c.Metadata.Name == "app");
        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", cancellationToken: cts.Token);
    }

    [Fact]
    public async Task Sidecar_StartsFirst_RunsBeside_AndStopsLast()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        const string TrapTerm = "trap 'echo bye; exit 0' TERM; while true; do sleep 1; done";
        V1Container sidecar = LifecycleFixture.Shell("proxy", TrapTerm);
        sidecar.RestartPolicy = "Always";
        sidecar.StartupProbe = new V1Probe { Exec = new V1ExecAction { Command = ["sh", "-c", "exit 0"] }, PeriodSeconds = 1 };
        var spec = new V1PodSpec { InitContainers = [sidecar], Containers = [LifecycleFixture.Shell("app", TrapTerm)], TerminationGracePeriodSeconds = 10 };
        V1Pod created = await fixture.CreatePodAsync("sidecar", spec, cts.Token);

        V1Pod running = await fixture.WaitForPodAsync(created, p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true, cts.Token);

        V1ContainerStatus proxy = running.Status.InitContainerStatuses.Single();
        Assert.NotNull(proxy.State.Running);
        Assert.True(proxy.Started);
        Assert.True(proxy.Ready);
        Assert.Equal("Running", running.Status.Phase);
        var runs = (await fixture.CriContainersAsync(created, cts.Token)).ToDictionary(c => c.Metadata.Name);
        Assert.True(runs["proxy"].StartedAt < runs["app"].StartedAt, "the app started before its sidecar");

        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", cancellationToken: cts.Token);
        await fixture.WaitForPodGoneAsync(created, cts.Token);
        string logs = SandboxConfigBuilder.LogDirectory(running, fixture.Options);
        DateTimeOffset appBye = ByeTime(Path.Combine(logs, "app", "0.log"));
        DateTimeOffset proxyBye = ByeTime(Path.Combine(logs, "proxy", "0.log"));
        Assert.True(appBye < proxyBye, $"the sidecar got SIGTERM at {proxyBye:O}, before the app at {appBye:O}");
    }

    [Fact]
    public async Task Deletion_RunsPreStop_ThenSigterm_ThenSigkillAfterTheGracePeriod()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        // The shell notes SIGTERM and keeps going, so only SIGKILL ends it; preStop writes to PID 1's stdout, which is the log.
        V1Container app = LifecycleFixture.Shell("app", "trap 'echo got-term' TERM; while true; do sleep 1; done");
        app.Lifecycle = new V1Lifecycle { PreStop = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["sh", "-c", "echo prestop > /proc/1/fd/1"] } } };
        V1Pod created = await fixture.CreatePodAsync("grace", new V1PodSpec { Containers = [app], TerminationGracePeriodSeconds = 4 }, cts.Token);
        V1Pod running = await fixture.WaitForPodAsync(created, p => p.Status?.Phase == "Running", cts.Token);
        string log = Path.Combine(SandboxConfigBuilder.LogDirectory(running, fixture.Options), "app", "0.log");

        var clock = Stopwatch.StartNew();
        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", cancellationToken: cts.Token);
        await LifecycleFixture.WaitForAsync(ct => Task.FromResult<string?>(File.ReadAllText(log).Contains("got-term", StringComparison.Ordinal) ? "term" : null), _ => true, cts.Token);
        TimeSpan term = clock.Elapsed;
        await fixture.WaitForPodGoneAsync(created, cts.Token);
        TimeSpan gone = clock.Elapsed;

        string text = File.ReadAllText(log);
        Assert.True(text.IndexOf("prestop", StringComparison.Ordinal) < text.IndexOf("got-term", StringComparison.Ordinal), text);
        Assert.True(term < TimeSpan.FromSeconds(3), $"SIGTERM came {term} after the delete");
        Assert.True(gone >= TimeSpan.FromSeconds(4) && gone < TimeSpan.FromSeconds(9), $"the pod was gone {gone} after the delete (grace 4 s)");
    }

    [Fact]
    public async Task TerminationMessage_FromTheFileAndFromTheLogs_ShowsInStatus()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Container fromFile = LifecycleFixture.Shell("file", "echo -n custom message > /dev/termination-log; exit 2");
        V1Container fromLogs = LifecycleFixture.Shell("logs", "echo last words; exit 1");
        fromLogs.TerminationMessagePolicy = "FallbackToLogsOnError";
        V1Container customPath = LifecycleFixture.Shell("path", "echo -n done > /tmp/msg; exit 0");
        customPath.TerminationMessagePath = "/tmp/msg";
        var spec = new V1PodSpec { Containers = [fromFile, fromLogs, customPath], RestartPolicy = "Never" };
        V1Pod created = await fixture.CreatePodAsync("msg", spec, cts.Token);

        V1Pod failed = await fixture.WaitForPodAsync(created, p => p.Status?.Phase is "Failed" or "Succeeded", cts.Token);

        var byName = failed.Status.ContainerStatuses.ToDictionary(s => s.Name, s => s.State.Terminated);
        Assert.Equal("custom message", byName["file"].Message);
        Assert.Equal("last words\n", byName["logs"].Message);
        Assert.Equal("done", byName["path"].Message);
        Assert.Equal("Failed", failed.Status.Phase);
        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", cancellationToken: cts.Token);
    }

    [Fact]
    public async Task NewKubelet_AdoptsARunningPod_WithoutRestartingIt()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Pod created = await fixture.CreatePodAsync("adopt", new V1PodSpec { Containers = [LifecycleFixture.Shell("app", "exec sleep 3600")], TerminationGracePeriodSeconds = 1 }, cts.Token);
        V1Pod before = await fixture.WaitForPodAsync(created, p => p.Status?.ContainerStatuses?.SingleOrDefault()?.Ready == true, cts.Token);

        await fixture.RestartKubeletAsync();
        // Several relists of the new kubelet.
        await Task.Delay(TimeSpan.FromSeconds(3), cts.Token);

        V1Pod after = await fixture.Client.CoreV1.ReadNamespacedPodAsync(created.Metadata.Name, "default", cancellationToken: cts.Token);
        V1ContainerStatus app = after.Status.ContainerStatuses.Single();
        Assert.Equal(before.Status.ContainerStatuses.Single().ContainerID, app.ContainerID);
        Assert.Equal(0, app.RestartCount);
        Assert.True(app.Ready);
        Assert.Equal("Running", after.Status.Phase);
        Assert.Equal(before.Status.StartTime, after.Status.StartTime);
        var runs = await fixture.CriContainersAsync(created, cts.Token);
        Assert.Single(runs);
        Assert.Equal(ContainerState.ContainerRunning, runs[0].State);

        // The new kubelet owns it: deleting the pod works.
        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", cancellationToken: cts.Token);
        await fixture.WaitForPodGoneAsync(created, cts.Token);
    }

    /// <summary>The CRI timestamp of the <c>bye</c> line in a container log (<c>&lt;RFC 3339 nano&gt; stdout F bye</c>).</summary>
    private static DateTimeOffset ByeTime(string log)
    {
        string line = File.ReadAllLines(log).Single(l => l.EndsWith(" bye", StringComparison.Ordinal));
        return DateTimeOffset.Parse(line.Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
