using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Queue;
using static Skiff.ControlPlane.Tests.Scheduling.Fakes.SchedulingObjects;

namespace Skiff.ControlPlane.Tests.Scheduling;

/// <summary>Only the cluster events that could help a pod's rejecting plugins send it back through the scheduler.</summary>
public sealed class ClusterEventsTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly SchedulingQueue _queue;

    public ClusterEventsTests() => _queue = new SchedulingQueue(_time);

    public void Dispose() => _queue.Dispose();

    [Fact]
    public void OfNodeUpdate_HeartbeatOnly_IsNoEvent()
    {
        V1Node before = Node("n1", cpu: "4");
        V1Node after = Node("n1", cpu: "4");
        after.Status.Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", LastHeartbeatTime = DateTime.UtcNow }];

        Assert.Empty(ClusterEvents.OfNodeUpdate(before, after));
    }

    [Fact]
    public void OfNodeUpdate_TaintsLabelsAndAllocatable_AreTheirOwnEvents()
    {
        V1Node before = Node("n1", cpu: "4");
        V1Node after = Node("n1", cpu: "8");
        after.Metadata.Labels = new Dictionary<string, string> { ["zone"] = "b" };
        after.Spec = new V1NodeSpec { Taints = [new V1Taint { Key = "dedicated", Effect = "NoSchedule", Value = "x" }] };

        Assert.Equal(
            [ClusterEvents.NodeAllocatableChange, ClusterEvents.NodeLabelChange, ClusterEvents.NodeTaintChange],
            ClusterEvents.OfNodeUpdate(before, after));
    }

    [Fact]
    public async Task MoveAllToActiveOrBackoff_AssignedPodAdd_LeavesPodsShortOfCpuWaiting_ButRetriesAntiAffinity()
    {
        QueuedPodInfo cpu = await FailAsync("short-of-cpu", "NodeResourcesFit");
        QueuedPodInfo anti = await FailAsync("anti", "InterPodAffinity");
        _time.Advance(TimeSpan.FromSeconds(5));

        _queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodAdd);

        Assert.Equal((1, 1), (_queue.ActiveCount, _queue.UnschedulableCount));
        Assert.Equal(anti.Uid, (await _queue.PopAsync(CancellationToken.None)).Uid);
        _queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodDelete);
        Assert.Equal(cpu.Uid, (await _queue.PopAsync(CancellationToken.None)).Uid);
    }

    [Fact]
    public async Task MoveAllToActiveOrBackoff_GenericNodeUpdate_ReachesEveryNodeListener()
    {
        await FailAsync("tainted-out", "TaintToleration");
        await FailAsync("wrong-zone", "NodeAffinity");
        _time.Advance(TimeSpan.FromSeconds(5));

        _queue.MoveAllToActiveOrBackoff(ClusterEvents.NodeTaintChange);
        Assert.Equal((1, 1), (_queue.ActiveCount, _queue.UnschedulableCount));

        _queue.MoveAllToActiveOrBackoff(ClusterEvents.NodeUpdate);
        Assert.Equal((2, 0), (_queue.ActiveCount, _queue.UnschedulableCount));
    }

    [Fact]
    public async Task AddUnschedulable_UnhelpfulEventDuringTheAttempt_PodWaitsAmongUnschedulable()
    {
        _queue.Add(Pod("big"));
        QueuedPodInfo info = await _queue.PopAsync(CancellationToken.None);
        _queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodAdd);

        _queue.AddUnschedulable(info, ["NodeResourcesFit"]);

        Assert.Equal((1, 0), (_queue.UnschedulableCount, _queue.BackoffCount));
    }

    [Fact]
    public async Task AddUnschedulable_HelpfulEventDuringTheAttempt_PodGoesToBackoff()
    {
        _queue.Add(Pod("big"));
        QueuedPodInfo info = await _queue.PopAsync(CancellationToken.None);
        _queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodDelete);

        _queue.AddUnschedulable(info, ["NodeResourcesFit"]);

        Assert.Equal((0, 1), (_queue.UnschedulableCount, _queue.BackoffCount));
    }

    [Fact]
    public async Task MoveAllToActiveOrBackoff_BoundPod_RetriesOnlyPodsWhoseAffinityItCouldSatisfy()
    {
        V1Pod wantsCache = Pod("wants-cache");
        wantsCache.Spec.Affinity = new V1Affinity { PodAffinity = new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term("cache")] } };
        V1Pod avoidsWeb = Pod("avoids-web");
        avoidsWeb.Spec.Affinity = new V1Affinity { PodAntiAffinity = new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = [Term("web")] } };
        await FailAsync(wantsCache, "InterPodAffinity");
        await FailAsync(avoidsWeb, "InterPodAffinity");
        _time.Advance(TimeSpan.FromSeconds(5));

        _queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodAdd, Labelled("web-1", "web"));
        Assert.Equal((0, 2), (_queue.ActiveCount, _queue.UnschedulableCount));

        _queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodAdd, Labelled("cache-1", "cache"));
        Assert.Equal("wants-cache", (await _queue.PopAsync(CancellationToken.None)).Pod.Metadata.Name);

        _queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodDelete, Labelled("cache-1", "cache"));
        Assert.Equal(1, _queue.UnschedulableCount);
        _queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodDelete, Labelled("web-1", "web"));
        Assert.Equal("avoids-web", (await _queue.PopAsync(CancellationToken.None)).Pod.Metadata.Name);
    }

    [Fact]
    public async Task MoveAllToActiveOrBackoff_BoundPodOutsideTheSpreadSelector_RetriesNothing()
    {
        V1Pod spread = Pod("spread");
        spread.Spec.TopologySpreadConstraints =
        [
            new V1TopologySpreadConstraint
            {
                MaxSkew = 1,
                TopologyKey = "kubernetes.io/hostname",
                WhenUnsatisfiable = "DoNotSchedule",
                LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            },
        ];
        await FailAsync(spread, "PodTopologySpread");
        _time.Advance(TimeSpan.FromSeconds(5));

        _queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodDelete, Labelled("db-1", "db"));
        Assert.Equal(1, _queue.UnschedulableCount);
        _queue.MoveAllToActiveOrBackoff(ClusterEvents.AssignedPodDelete, Labelled("web-1", "web"));
        Assert.Equal(1, _queue.ActiveCount);
    }

    private static V1PodAffinityTerm Term(string app) => new()
    {
        TopologyKey = "kubernetes.io/hostname",
        LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = app } },
    };

    private static V1Pod Labelled(string name, string app)
    {
        V1Pod pod = Pod(name);
        pod.Metadata.Labels = new Dictionary<string, string> { ["app"] = app };
        return pod;
    }

    private async Task FailAsync(V1Pod pod, string plugin)
    {
        _queue.Add(pod);
        QueuedPodInfo info = await _queue.PopAsync(CancellationToken.None);
        _queue.AddUnschedulable(info, [plugin]);
    }

    private async Task<QueuedPodInfo> FailAsync(string name, string plugin)
    {
        _queue.Add(Pod(name));
        QueuedPodInfo info = await _queue.PopAsync(CancellationToken.None);
        _queue.AddUnschedulable(info, [plugin]);
        return info;
    }
}
