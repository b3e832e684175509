using System.Collections.Concurrent;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Skiff.ControlPlane.Scheduling;
using Skiff.ControlPlane.Scheduling.Cache;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;
using Skiff.ControlPlane.Scheduling.Queue;
using Skiff.ControlPlane.Tests.Scheduling.Fakes;
using static Skiff.ControlPlane.Tests.Scheduling.Fakes.SchedulingObjects;

namespace Skiff.ControlPlane.Tests.Scheduling;

/// <summary>
/// Preemption through whole scheduling cycles: a cpu Filter (FAKE), DefaultPreemption, and a fake API that records the
/// evictions and nominations it would write.
/// </summary>
public sealed class DefaultPreemptionTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly SchedulingQueue _queue;
    private readonly SchedulerCache _cache;
    private readonly FakePreemptionApi _api = new();
    private readonly ConcurrentQueue<(string Pod, string Node)> _binds = new();
    private readonly ConcurrentQueue<(string Pod, string Message)> _failures = new();
    private readonly List<V1PodDisruptionBudget> _pdbs = [];

    public DefaultPreemptionTests()
    {
        _queue = new SchedulingQueue(_time);
        _cache = new SchedulerCache(_time);
    }

    public void Dispose() => _queue.Dispose();

    [Fact]
    public async Task Preempt_PicksTheNodeNeedingFewestVictims_AndEvictsOnlyThose()
    {
        _cache.AddNode(Node("a"));
        _cache.AddNode(Node("b"));
        Bind("a", Low("a-big1", "2"), Low("a-big2", "2"));
        Bind("b", Low("b-small1", "1"), Low("b-small2", "1"), Low("b-small3", "1"), Low("b-small4", "1"));

        ScheduleResult result = await ScheduleAsync(Pod("vip", priority: 1000, cpu: "2"));

        Assert.Null(result.NodeName);
        Assert.Equal("a", result.NominatedNodeName);
        (string preemptor, string victim, string node) = Assert.Single(_api.Preempted);
        Assert.Equal(("vip", "a"), (preemptor, node));
        Assert.StartsWith("a-big", victim, StringComparison.Ordinal);
        Assert.Equal([("vip", "a")], _api.Nominations);
        Assert.Equal("a", _queue.NominatedNodeOf(result.Pod));

        // Preemption succeeded, so the FailedScheduling text has no preemption suffix (as upstream).
        Assert.Equal("0/2 nodes are available: 2 Insufficient cpu.", result.FailureMessage);
        Assert.Equal(1, _queue.UnschedulableCount);
    }

    [Fact]
    public async Task Preempt_PrefersTheNodeWhoseMostImportantVictimHasTheLowestPriority()
    {
        _cache.AddNode(Node("a"));
        _cache.AddNode(Node("b"));
        Bind("a", Pod("a-mid", priority: 50, cpu: "4"));
        Bind("b", Low("b-low1", "2"), Low("b-low2", "2"));

        ScheduleResult result = await ScheduleAsync(Pod("vip", priority: 1000, cpu: "4"));

        Assert.Equal("b", result.NominatedNodeName);
        Assert.Equal(["b-low1", "b-low2"], _api.Preempted.Select(p => p.Victim).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Preempt_HigherOrEqualPriorityPodsAreNeverVictims()
    {
        _cache.AddNode(Node("a"));
        Bind("a", Pod("a-important", priority: 2000, cpu: "2"), Pod("a-peer", priority: 1000, cpu: "2"));

        ScheduleResult result = await ScheduleAsync(Pod("vip", priority: 1000, cpu: "2"));

        Assert.Empty(_api.Preempted);
        Assert.Null(result.NominatedNodeName);
        Assert.Equal(
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..",
            result.FailureMessage);
    }

    [Fact]
    public async Task Preempt_EvenAllLowerPriorityPodsGoneTheNodeIsTooSmall_ReportsTheFilterReason()
    {
        _cache.AddNode(Node("a", cpu: "2"));
        _cache.AddNode(Node("control", cpu: "64"));
        Bind("a", Low("a-low", "1"));
        var tainted = new FakeFilterPlugin("TaintToleration", (_, n) => n.Name == "control"
            ? PluginStatus.UnschedulableAndUnresolvable("TaintToleration", "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }")
            : PluginStatus.Success);

        ScheduleResult result = await ScheduleAsync(Pod("vip", priority: 1000, cpu: "3"), tainted);

        Assert.Empty(_api.Preempted);
        Assert.Equal(
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. "
            + "preemption: 0/2 nodes are available: 1 Insufficient cpu, 1 Preemption is not helpful for scheduling..",
            result.FailureMessage);
    }

    [Fact]
    public async Task Preempt_PreemptionPolicyNever_EvictsNothing()
    {
        _cache.AddNode(Node("a"));
        Bind("a", Low("a-low", "4"));
        V1Pod pod = Pod("polite", priority: 1000, cpu: "2");
        pod.Spec.PreemptionPolicy = "Never";

        ScheduleResult result = await ScheduleAsync(pod);

        Assert.Empty(_api.Preempted);
        Assert.Empty(_api.Nominations);
        Assert.Equal("0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..", result.FailureMessage);
    }

    [Fact]
    public async Task Preempt_PdbViolatingVictimIsReprievedFirst_EvenWhenItIsLessImportant()
    {
        _cache.AddNode(Node("a"));
        DateTime started = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        // At equal priority the pod that started earlier is more important and so would be spared first, but the database
        // pod is covered by a PDB that allows no disruption, so it is tried first.
        V1Pod oldWeb = Low("web", "2", startTime: started);
        V1Pod newDb = Low("db", "2", startTime: started.AddHours(1), labels: new() { ["app"] = "db" });
        Bind("a", oldWeb, newDb);
        _pdbs.Add(Pdb("db", disruptionsAllowed: 0, app: "db"));

        await ScheduleAsync(Pod("vip", priority: 1000, cpu: "2"));

        Assert.Equal(["web"], _api.Preempted.Select(p => p.Victim));
    }

    [Fact]
    public async Task Preempt_PrefersANodeWhereNoPdbIsViolated_OverLowerPriorityVictims()
    {
        _cache.AddNode(Node("a"));
        _cache.AddNode(Node("b"));
        Bind("a", Low("a-db", "4", labels: new() { ["app"] = "db" }));
        Bind("b", Pod("b-mid", priority: 100, cpu: "4"));
        _pdbs.Add(Pdb("db", disruptionsAllowed: 0, app: "db"));

        ScheduleResult result = await ScheduleAsync(Pod("vip", priority: 1000, cpu: "2"));

        Assert.Equal("b", result.NominatedNodeName);
        Assert.Equal(["b-mid"], _api.Preempted.Select(p => p.Victim));
    }

    [Fact]
    public async Task NominatedPod_KeepsTheFreedRoomFromLowerPriorityPods_AndGetsIt()
    {
        _cache.AddNode(Node("a"));
        V1Pod victim = Low("a-low", "4");
        Bind("a", victim);
        Scheduler scheduler = Create();
        _queue.Add(Pod("vip", priority: 1000, cpu: "4"));
        ScheduleResult preempting = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;
        Assert.Equal("a", preempting.NominatedNodeName);

        // The victim is gone, but a mid-priority pod comes first: the room is the nominated pod's.
        _cache.RemovePod(victim);
        _queue.Add(Pod("mid", priority: 500, cpu: "4"));
        ScheduleResult mid = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;
        Assert.Null(mid.NodeName);
        Assert.Null(mid.NominatedNodeName);

        _time.Advance(TimeSpan.FromSeconds(2));
        _queue.MoveAllToActiveOrBackoff("AssignedPodDelete");
        ScheduleResult vip = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;
        await vip.Binding;
        Assert.Equal(("vip", "a"), (vip.Pod.Metadata.Name, vip.NodeName));
        Assert.Equal([("vip", "a")], _binds);
        Assert.Null(_queue.NominatedNodeOf(vip.Pod));
    }

    [Fact]
    public async Task NominatedPod_OfLowerPriority_DoesNotBlockAHigherPriorityPod()
    {
        _cache.AddNode(Node("a"));
        V1Pod waiting = Pod("low-nominated", priority: 10, cpu: "4");
        waiting.Status = new V1PodStatus { NominatedNodeName = "a" };
        _queue.Add(waiting);
        Assert.Equal("a", _queue.NominatedNodeOf(waiting));

        _queue.Add(Pod("vip", priority: 1000, cpu: "4"));
        ScheduleResult vip = (await Create().ScheduleOneAsync(CancellationToken.None))!;

        Assert.Equal("a", vip.NodeName);
    }

    [Fact]
    public async Task Preempt_ClearsTheNominationOfALowerPriorityPodNominatedToTheSameNode()
    {
        _cache.AddNode(Node("a"));
        Bind("a", Low("a-low", "4"));
        V1Pod displaced = Pod("displaced", priority: 10, cpu: "4");
        displaced.Status = new V1PodStatus { NominatedNodeName = "a" };
        _queue.Add(displaced);

        ScheduleResult vip = await ScheduleAsync(Pod("vip", priority: 1000, cpu: "4"));

        Assert.Equal("a", vip.NominatedNodeName);
        Assert.Equal(["a-low"], _api.Preempted.Select(p => p.Victim));
        Assert.Equal([("displaced", ""), ("vip", "a")], _api.Nominations.Order());
        Assert.Null(_queue.NominatedNodeOf(displaced));
    }

    [Fact]
    public async Task Preempt_AgainWhileTheVictimsTerminate_WaitsInstead()
    {
        _cache.AddNode(Node("a"));
        V1Pod victim = Low("a-low", "4");
        Bind("a", victim);
        Scheduler scheduler = Create();
        _queue.Add(Pod("vip", priority: 1000, cpu: "4"));
        await scheduler.ScheduleOneAsync(CancellationToken.None);
        Assert.Single(_api.Preempted);

        // The kubelet has not finished the victim: it is terminating, marked by the scheduler's DisruptionTarget condition.
        V1Pod terminating = Low("a-low", "4");
        terminating.Spec.NodeName = "a";
        terminating.Metadata.DeletionTimestamp = DateTime.UtcNow;
        terminating.Status = new V1PodStatus { Conditions = [new V1PodCondition { Type = "DisruptionTarget", Status = "True", Reason = "PreemptionByScheduler" }] };
        _cache.UpdatePod(terminating);
        _time.Advance(TimeSpan.FromSeconds(2));
        _queue.MoveAllToActiveOrBackoff("AssignedPodUpdate");
        ScheduleResult again = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;

        Assert.Single(_api.Preempted);
        Assert.Equal("0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node..", again.FailureMessage);
        Assert.Equal("a", _queue.NominatedNodeOf(again.Pod));
    }

    [Fact]
    public void Queue_NominationFromStatus_IsKeptUntilStatusClearsIt_AndTheSchedulersOwnSurvivesAnOlderUpdate()
    {
        V1Pod pod = Pod("p", priority: 5);
        pod.Status = new V1PodStatus { NominatedNodeName = "a" };
        _queue.Add(pod);
        Assert.Equal(["a"], _queue.NominatedPodsByNode().Keys);

        V1Pod cleared = Pod("p", priority: 5);
        cleared.Status = new V1PodStatus();
        _queue.Update(cleared);
        Assert.Empty(_queue.NominatedPodsByNode());

        // The scheduler nominates before its write lands; an update that predates the write does not undo it.
        _queue.AddNominatedPod(cleared, "b");
        _queue.Update(Pod("p", priority: 5));
        Assert.Equal("b", _queue.NominatedNodeOf(cleared));

        _queue.Delete(cleared);
        Assert.Null(_queue.NominatedNodeOf(cleared));
    }

    [Fact]
    public void NumCandidates_FollowsUpstreamDefaults()
    {
        var plugin = new DefaultPreemption();

        Assert.Equal((3, 100, 500), (plugin.NumCandidates(3), plugin.NumCandidates(1000), plugin.NumCandidates(5000)));
    }

    private static V1Pod Low(string name, string cpu, DateTime? startTime = null, Dictionary<string, string>? labels = null)
    {
        V1Pod pod = Pod(name, priority: 0, cpu: cpu);
        pod.Metadata.Labels = labels;
        pod.Status = new V1PodStatus { StartTime = startTime };
        return pod;
    }

    private static V1PodDisruptionBudget Pdb(string name, int disruptionsAllowed, string app) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1PodDisruptionBudgetSpec { Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = app } } },
        Status = new V1PodDisruptionBudgetStatus { DisruptionsAllowed = disruptionsAllowed },
    };

    // FAKE plugin: rejects nodes whose allocatable cpu cannot hold the pod's request plus what is already there.
    private static FakeFilterPlugin CpuFit() => new("NodeResourcesFit", (pod, node) =>
        node.Requested.MilliCpu + PodRequests.Of(pod).MilliCpu <= node.Allocatable.MilliCpu
            ? PluginStatus.Success
            : PluginStatus.Unschedulable("NodeResourcesFit", "Insufficient cpu"));

    private void Bind(string node, params V1Pod[] pods)
    {
        foreach (V1Pod pod in pods)
        {
            pod.Spec.NodeName = node;
            _cache.AddPod(pod);
        }
    }

    private async Task<ScheduleResult> ScheduleAsync(V1Pod pod, params IFilterPlugin[] extraFilters)
    {
        _queue.Add(pod);
        return (await Create(extraFilters).ScheduleOneAsync(CancellationToken.None))!;
    }

    private Scheduler Create(params IFilterPlugin[] extraFilters) => new(
        [new Profile("default-scheduler", [.. extraFilters.Select(f => new ProfilePlugin(f)), new(CpuFit()), new(new DefaultPreemption())])],
        _queue,
        _cache,
        (pod, node, _) =>
        {
            _binds.Enqueue((pod.Metadata.Name, node));
            return Task.CompletedTask;
        },
        (pod, message, _) =>
        {
            _failures.Enqueue((pod.Metadata.Name, message));
            return Task.CompletedTask;
        },
        NullLogger<Scheduler>.Instance,
        1)
    {
        PreemptionApi = _api,
        PodDisruptionBudgets = () => _pdbs,
    };
}
