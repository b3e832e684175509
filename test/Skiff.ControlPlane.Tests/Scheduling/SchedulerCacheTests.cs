using Microsoft.Extensions.Time.Testing;
using Skiff.ControlPlane.Scheduling.Cache;
using Skiff.ControlPlane.Scheduling.Framework;
using static Skiff.ControlPlane.Tests.Scheduling.Fakes.SchedulingObjects;

namespace Skiff.ControlPlane.Tests.Scheduling;

public sealed class SchedulerCacheTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly SchedulerCache _cache;

    public SchedulerCacheTests()
    {
        _cache = new SchedulerCache(_time);
        _cache.AddNode(Node("n1"));
        _cache.AddNode(Node("n2"));
    }

    [Fact]
    public void AssumePod_CountsOnTheNode_AndForgetPodRemovesIt()
    {
        var pod = BoundPod("web", "n1", cpu: "1");

        _cache.AssumePod(pod, "n1");
        NodeInfo assumed = _cache.UpdateSnapshot().Find("n1")!;
        _cache.ForgetPod(pod);
        NodeInfo forgotten = _cache.UpdateSnapshot().Find("n1")!;

        Assert.Equal(1000, assumed.Requested.MilliCpu);
        Assert.Single(assumed.Pods);
        Assert.Empty(forgotten.Pods);
        Assert.Equal(0, forgotten.Requested.MilliCpu);
    }

    [Fact]
    public void FinishBinding_NoConfirmation_AssumedPodExpiresAfterFifteenMinutes()
    {
        var pod = BoundPod("web", "n1");
        _cache.AssumePod(pod, "n1");
        _cache.FinishBinding(pod);

        _time.Advance(TimeSpan.FromMinutes(14));
        Assert.Single(_cache.UpdateSnapshot().Find("n1")!.Pods);
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Empty(_cache.UpdateSnapshot().Find("n1")!.Pods);
        Assert.False(_cache.IsAssumed(pod));
    }

    [Fact]
    public void AddPod_ConfirmsAssumedPod_WhichThenNeverExpires()
    {
        var pod = BoundPod("web", "n1");
        _cache.AssumePod(pod, "n1");
        _cache.FinishBinding(pod);

        _cache.AddPod(pod);
        _time.Advance(TimeSpan.FromHours(1));

        Assert.False(_cache.IsAssumed(pod));
        Assert.Single(_cache.UpdateSnapshot().Find("n1")!.Pods);
    }

    [Fact]
    public void AssumePod_NotYetFinishedBinding_DoesNotExpire()
    {
        var pod = BoundPod("web", "n1");
        _cache.AssumePod(pod, "n1");

        _time.Advance(TimeSpan.FromHours(1));

        Assert.True(_cache.IsAssumed(pod));
    }

    [Fact]
    public void UpdateSnapshot_CopiesOnlyChangedNodes_AndLeavesTheOldSnapshotAsItWas()
    {
        for (int i = 3; i <= 100; i++)
        {
            _cache.AddNode(Node($"n{i}"));
        }

        ClusterSnapshot before = _cache.UpdateSnapshot();
        _cache.AddPod(BoundPod("web", "n7", cpu: "1"));

        ClusterSnapshot after = _cache.UpdateSnapshot();

        Assert.Equal(1, _cache.LastSnapshotRebuiltNodes);
        Assert.NotSame(before.Find("n7"), after.Find("n7"));
        Assert.Empty(before.Find("n7")!.Pods);
        Assert.Single(after.Find("n7")!.Pods);
        Assert.All(after.Nodes.Where(n => n.Name != "n7"), n => Assert.Same(before.Find(n.Name), n));
        Assert.Same(after, _cache.UpdateSnapshot());
        Assert.Equal(0, _cache.LastSnapshotRebuiltNodes);
    }

    [Fact]
    public void RemoveNode_LeavesTheSnapshot_AndAddingItBackKeepsItsBoundPods()
    {
        _cache.AddPod(BoundPod("web", "n2", cpu: "1"));
        _cache.UpdateSnapshot();

        _cache.RemoveNode(Node("n2"));
        ClusterSnapshot without = _cache.UpdateSnapshot();
        _cache.AddNode(Node("n2"));
        ClusterSnapshot with = _cache.UpdateSnapshot();

        Assert.Null(without.Find("n2"));
        Assert.Equal(["n1"], without.Nodes.Select(n => n.Name));
        Assert.Equal(1000, with.Find("n2")!.Requested.MilliCpu);
    }

    [Fact]
    public void UpdateSnapshot_NodesWithPodAffinity_ListsNodesHoldingSuchPods()
    {
        var pod = BoundPod("db", "n2");
        pod.Spec.Affinity = new k8s.Models.V1Affinity { PodAntiAffinity = new k8s.Models.V1PodAntiAffinity() };

        _cache.AddPod(pod);

        Assert.Equal(["n2"], _cache.UpdateSnapshot().NodesWithPodAffinity.Select(n => n.Name));
        _cache.RemovePod(pod);
        Assert.Empty(_cache.UpdateSnapshot().NodesWithPodAffinity);
    }
}
