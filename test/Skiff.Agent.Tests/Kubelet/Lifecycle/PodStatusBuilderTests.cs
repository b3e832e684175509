using k8s.Models;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Kubelet.Lifecycle;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Kubelet.Lifecycle;

public sealed class PodStatusBuilderTests
{
    private static readonly DateTime s_now = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly long s_nanos = (s_now - DateTime.UnixEpoch).Ticks * 100;

    [Fact]
    public void Build_ContainerInBackOff_IsWaitingWithTheExitAsLastState()
    {
        V1Pod pod = Pod("Always", containers: [Spec("app")]);
        var state = new PodRuntimeState("10.0.0.5", new Dictionary<string, ContainerStatus> { ["app"] = Exited("c3", "app", 3, 1) },
            new Dictionary<string, (string, string)> { ["app"] = ("CrashLoopBackOff", "back-off 40s restarting failed container=app pod=p_default(u)") })
        {
            SandboxReady = true,
            Previous = new Dictionary<string, ContainerStatus> { ["app"] = Exited("c2", "app", 2, 1) },
        };

        V1PodStatus status = Build(pod, state);

        V1ContainerStatus app = status.ContainerStatuses.Single();
        Assert.Equal("CrashLoopBackOff", app.State.Waiting.Reason);
        Assert.Equal(3, app.RestartCount);
        Assert.Equal("containerd://c3", app.LastState.Terminated.ContainerID);
        Assert.Equal("Error", app.LastState.Terminated.Reason);
        Assert.Equal("Running", status.Phase);
        Assert.Equal("False", status.Conditions.Single(c => c.Type == "Ready").Status);
    }

    [Fact]
    public void Build_RunningAfterARestart_ShowsThePreviousRunAsLastState_AndReadinessFromTheProbes()
    {
        V1Pod pod = Pod("Always", containers: [Spec("app"), Spec("side")]);
        var state = new PodRuntimeState("10.0.0.5",
            new Dictionary<string, ContainerStatus> { ["app"] = Running("c2", "app", 1), ["side"] = Running("s1", "side", 0) },
            new Dictionary<string, (string, string)>())
        {
            SandboxReady = true,
            Previous = new Dictionary<string, ContainerStatus> { ["app"] = Exited("c1", "app", 0, 137) },
            Started = new HashSet<string> { "c2", "s1" },
            Ready = new HashSet<string> { "c2" },
            TerminationMessages = new Dictionary<string, string> { ["c1"] = "oops" },
        };

        V1PodStatus status = Build(pod, state);

        V1ContainerStatus app = status.ContainerStatuses.Single(s => s.Name == "app");
        Assert.True(app.Ready);
        Assert.Equal(1, app.RestartCount);
        Assert.Equal(137, app.LastState.Terminated.ExitCode);
        Assert.Equal("oops", app.LastState.Terminated.Message);
        Assert.False(status.ContainerStatuses.Single(s => s.Name == "side").Ready);
        Assert.Equal("containers with unready status: [side]", status.Conditions.Single(c => c.Type == "ContainersReady").Message);
        Assert.Equal(["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"], status.Conditions.Select(c => c.Type));
    }

    [Fact]
    public void Build_InitContainerRunning_IsPendingAndNotInitialized()
    {
        V1Pod pod = Pod("Always", inits: [Spec("setup"), Spec("migrate")], containers: [Spec("app")]);
        var state = new PodRuntimeState("10.0.0.5", new Dictionary<string, ContainerStatus> { ["setup"] = Running("i1", "setup", 0) },
            new Dictionary<string, (string, string)>()) { SandboxReady = true };

        V1PodStatus status = Build(pod, state);

        Assert.Equal("Pending", status.Phase);
        V1PodCondition initialized = status.Conditions.Single(c => c.Type == "Initialized");
        Assert.Equal("False", initialized.Status);
        Assert.Equal("containers with incomplete status: [setup migrate]", initialized.Message);
        Assert.Equal("PodInitializing", status.InitContainerStatuses.Single(s => s.Name == "migrate").State.Waiting.Reason);
        Assert.Equal("PodInitializing", status.ContainerStatuses.Single().State.Waiting.Reason);
    }

    [Fact]
    public void Build_FailingInitContainerInBackOff_IsPendingWithInitCrashLoopBackOff()
    {
        V1Pod pod = Pod("Always", inits: [Spec("setup")], containers: [Spec("app")]);
        var state = new PodRuntimeState("10.0.0.5", new Dictionary<string, ContainerStatus> { ["setup"] = Exited("i2", "setup", 2, 1) },
            new Dictionary<string, (string, string)> { ["setup"] = ("CrashLoopBackOff", "back-off 20s restarting failed container=setup pod=p_default(u)") })
        {
            SandboxReady = true,
        };

        V1PodStatus status = Build(pod, state);

        V1ContainerStatus setup = status.InitContainerStatuses.Single();
        Assert.Equal("CrashLoopBackOff", setup.State.Waiting.Reason);
        Assert.Equal(2, setup.RestartCount);
        Assert.Equal(1, setup.LastState.Terminated.ExitCode);
        Assert.Equal("Pending", status.Phase);
        Assert.Equal("False", status.Conditions.Single(c => c.Type == "Initialized").Status);
    }

    [Theory]
    [InlineData("Never", 0, 0, "Succeeded")]
    [InlineData("Never", 0, 1, "Failed")]
    [InlineData("OnFailure", 0, 0, "Succeeded")]
    [InlineData("OnFailure", 1, 0, "Running")]
    [InlineData("Always", 0, 0, "Running")]
    public void Phase_AllContainersExited_FollowsTheRestartPolicy(string policy, int first, int second, string phase)
    {
        V1Pod pod = Pod(policy, containers: [Spec("a"), Spec("b")]);
        var state = new PodRuntimeState(null, new Dictionary<string, ContainerStatus> { ["a"] = Exited("a1", "a", 0, first), ["b"] = Exited("b1", "b", 0, second) },
            new Dictionary<string, (string, string)>());

        Assert.Equal(phase, Build(pod, state).Phase);
    }

    [Fact]
    public void Phase_SidecarStillRunningAfterTheAppSucceeded_IsSucceeded()
    {
        V1Container sidecar = Spec("proxy");
        sidecar.RestartPolicy = "Always";
        V1Pod pod = Pod("Never", inits: [sidecar], containers: [Spec("app")]);
        var state = new PodRuntimeState("10.0.0.5",
            new Dictionary<string, ContainerStatus> { ["proxy"] = Running("p1", "proxy", 0), ["app"] = Exited("a1", "app", 0, 0) },
            new Dictionary<string, (string, string)>()) { Started = new HashSet<string> { "p1" } };

        Assert.Equal("Running", Build(pod, state).Phase);
        Assert.Equal("Succeeded", Build(pod, state with { Containers = new Dictionary<string, ContainerStatus> { ["proxy"] = Exited("p1", "proxy", 0, 143), ["app"] = Exited("a1", "app", 0, 0) } }).Phase);
    }

    [Fact]
    public void Build_UnchangedCondition_KeepsItsLastTransitionTime()
    {
        V1Pod pod = Pod("Always", containers: [Spec("app")]);
        var state = new PodRuntimeState("10.0.0.5", new Dictionary<string, ContainerStatus> { ["app"] = Running("c1", "app", 0) },
            new Dictionary<string, (string, string)>()) { SandboxReady = true, Started = new HashSet<string> { "c1" }, Ready = new HashSet<string> { "c1" } };
        V1PodStatus first = Build(pod, state);

        V1PodStatus later = PodStatusBuilder.Build(pod, state, "127.0.0.1", s_now, first.Conditions, s_now.AddMinutes(5));
        V1PodStatus unready = PodStatusBuilder.Build(pod, state with { Ready = new HashSet<string>() }, "127.0.0.1", s_now, first.Conditions, s_now.AddMinutes(5));

        Assert.Equal(s_now, later.Conditions.Single(c => c.Type == "Ready").LastTransitionTime);
        Assert.Equal(s_now.AddMinutes(5), unready.Conditions.Single(c => c.Type == "Ready").LastTransitionTime);
        Assert.Equal(s_now, unready.Conditions.Single(c => c.Type == "PodScheduled").LastTransitionTime);
    }

    [Fact]
    public void QosClass_FollowsRequestsAndLimits()
    {
        static V1Container With(IDictionary<string, ResourceQuantity>? requests, IDictionary<string, ResourceQuantity>? limits) =>
            new() { Name = "c", Resources = new V1ResourceRequirements { Requests = requests, Limits = limits } };
        var both = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("500m"), ["memory"] = new("64Mi") };
        var cpuOnly = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1") };

        Assert.Equal("BestEffort", QosClass.Of(new V1PodSpec { Containers = [With(null, null)] }));
        Assert.Equal("Guaranteed", QosClass.Of(new V1PodSpec { Containers = [With(null, both)] }));
        Assert.Equal("Guaranteed", QosClass.Of(new V1PodSpec { Containers = [With(both, both)] }));
        Assert.Equal("Burstable", QosClass.Of(new V1PodSpec { Containers = [With(cpuOnly, null)] }));
        Assert.Equal("Burstable", QosClass.Of(new V1PodSpec { Containers = [With(null, both), With(null, null)] }));
    }

    private static V1PodStatus Build(V1Pod pod, PodRuntimeState state) => PodStatusBuilder.Build(pod, state, "127.0.0.1", s_now, null, s_now);

    private static V1Pod Pod(string restartPolicy, IList<V1Container>? inits = null, IList<V1Container>? containers = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default", Uid = "u" },
        Spec = new V1PodSpec { RestartPolicy = restartPolicy, InitContainers = inits, Containers = containers ?? [] },
    };

    private static V1Container Spec(string name) => new() { Name = name, Image = "busybox" };

    private static ContainerStatus Running(string id, string name, uint attempt) => new()
    {
        Id = id, Metadata = new ContainerMetadata { Name = name, Attempt = attempt }, State = ContainerState.ContainerRunning, StartedAt = s_nanos,
    };

    private static ContainerStatus Exited(string id, string name, uint attempt, int exitCode) => new()
    {
        Id = id, Metadata = new ContainerMetadata { Name = name, Attempt = attempt }, State = ContainerState.ContainerExited, StartedAt = s_nanos,
        FinishedAt = s_nanos + 1_000_000_000, ExitCode = exitCode,
    };
}
