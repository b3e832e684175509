using k8s.Models;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Kubelet;

public sealed class NodeConditionsTests
{
    private const long Gi = 1024L * 1024 * 1024;
    private static readonly DateTime Now = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private static readonly NodeHostStats Healthy = new(4, 8 * Gi, 4 * Gi, 100 * Gi, 50 * Gi, 32768, 300);

    [Fact]
    public void Compute_HealthyHostReadyRuntime_NoPressureAndReady()
    {
        IList<V1NodeCondition> conditions = NodeConditions.Compute(Healthy, EvictionThresholds.Default, [], null, Now);

        Assert.Equal(["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"], conditions.Select(c => c.Type));
        Assert.Equal(["False", "False", "False", "True"], conditions.Select(c => c.Status));
        Assert.Equal("KubeletReady", conditions[3].Reason);
        Assert.Equal("kubelet is posting ready status", conditions[3].Message);
        Assert.All(conditions, c => Assert.Equal(Now, c.LastTransitionTime));
    }

    [Fact]
    public void Compute_BelowThresholds_ReportsEachPressure()
    {
        var starved = Healthy with { MemoryAvailable = 50L * 1024 * 1024, FsAvailable = 5 * Gi, PidsRunning = 32000 };

        IList<V1NodeCondition> conditions = NodeConditions.Compute(starved, EvictionThresholds.Default, [], null, Now);

        Assert.Equal(("True", "KubeletHasInsufficientMemory"), (conditions[0].Status, conditions[0].Reason));
        Assert.Equal(("True", "KubeletHasDiskPressure"), (conditions[1].Status, conditions[1].Reason));
        Assert.Equal(("True", "KubeletHasInsufficientPID"), (conditions[2].Status, conditions[2].Reason));
    }

    [Fact]
    public void Compute_RuntimeDown_NotReadyWithUpstreamMessage_TransitionOnlyOnFlip()
    {
        IList<V1NodeCondition> ready = NodeConditions.Compute(Healthy, EvictionThresholds.Default, [], null, Now);
        DateTime later = Now.AddSeconds(10);

        IList<V1NodeCondition> down = NodeConditions.Compute(Healthy, EvictionThresholds.Default, ["container runtime is down"], ready, later);

        V1NodeCondition notReady = down.Single(c => c.Type == "Ready");
        Assert.Equal(("False", "KubeletNotReady", "container runtime is down"), (notReady.Status, notReady.Reason, notReady.Message));
        Assert.Equal(later, notReady.LastTransitionTime);
        Assert.Equal(later, notReady.LastHeartbeatTime);
        // MemoryPressure did not flip: its transition time stays, its heartbeat moves.
        Assert.Equal(Now, down[0].LastTransitionTime);
        Assert.Equal(later, down[0].LastHeartbeatTime);
    }

    [Fact]
    public void RuntimeErrors_NetworkNotReady_UpstreamWording()
    {
        var status = new RuntimeStatus();
        status.Conditions.Add(new RuntimeCondition { Type = "RuntimeReady", Status = true });
        status.Conditions.Add(new RuntimeCondition { Type = "NetworkReady", Status = false, Reason = "NetworkPluginNotReady", Message = "cni config uninitialized" });

        IReadOnlyList<string> errors = CriNodeRuntime.RuntimeErrors(status);

        Assert.Equal(["container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni config uninitialized"], errors);
    }
}
