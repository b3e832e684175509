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

public sealed class SchedulerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly SchedulingQueue _queue;
    private readonly SchedulerCache _cache;
    private readonly ConcurrentQueue<(string Pod, string Node)> _binds = new();
    private readonly ConcurrentQueue<(string Pod, string Message)> _failures = new();
    private Func<V1Pod, string, CancellationToken, Task> _binder;

    public SchedulerTests()
    {
        _queue = new SchedulingQueue(_time);
        _cache = new SchedulerCache(_time);
        _binder = (pod, node, _) =>
        {
            _binds.Enqueue((pod.Metadata.Name, node));
            return Task.CompletedTask;
        };
    }

    public void Dispose() => _queue.Dispose();

    // FAKE plugin: rejects nodes whose allocatable cpu cannot hold the pod's request plus what is already there.
    private static FakeFilterPlugin CpuFit() => new("NodeResourcesFit", (pod, node) =>
        node.Requested.MilliCpu + PodRequests.Of(pod).MilliCpu <= node.Allocatable.MilliCpu
            ? PluginStatus.Success
            : PluginStatus.Unschedulable("NodeResourcesFit", "Insufficient cpu"));

    [Fact]
    public async Task ScheduleOneAsync_PicksHighestWeightedNormalizedScore()
    {
        AddNodes("a", "b", "c");
        var prefersA = new FakeScorePlugin("PrefersA", n => n.Name == "a" ? 100 : 0);

        // Raw scores 1, 2, 3 normalized to 0, 50, 100: with weight 3 this outweighs PrefersA (weight 1).
        var prefersC = new FakeScorePlugin("PrefersC", n => n.Name[0] - 'a' + 1, s =>
        {
            for (int i = 0; i < s.Length; i++)
            {
                s[i] = (s[i] - 1) * 50;
            }
        });
        Scheduler scheduler = Create(new Profile("default-scheduler", [new(prefersA, 1), new(prefersC, 3)]));
        _queue.Add(Pod("web"));

        ScheduleResult? result = await scheduler.ScheduleOneAsync(CancellationToken.None);
        await result!.Binding;

        Assert.Equal("c", result.NodeName);
        Assert.Equal([("web", "c")], _binds);
    }

    [Fact]
    public async Task ScheduleOneAsync_DoesNotWaitForTheBind_AndTheNextCycleSeesTheAssumedPod()
    {
        AddNodes("a", "b");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _binder = async (pod, node, ct) =>
        {
            _binds.Enqueue((pod.Metadata.Name, node));
            await release.Task.WaitAsync(ct);
        };
        Scheduler scheduler = Create(new Profile("default-scheduler", [new(CpuFit())]));
        _queue.Add(Pod("first", cpu: "3"));
        _queue.Add(Pod("second", cpu: "3"));

        ScheduleResult first = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;
        ScheduleResult second = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;

        Assert.False(first.Binding.IsCompleted);
        Assert.NotEqual(first.NodeName, second.NodeName);
        release.SetResult();
        await Task.WhenAll(first.Binding, second.Binding);
        Assert.Equal(2, _binds.Count);
        Assert.True(_cache.IsAssumed(BoundPod("first", first.NodeName!)));
    }

    [Fact]
    public async Task ScheduleOneAsync_BindFails_PodForgottenAndRetriedAfterBackoff()
    {
        AddNodes("a");
        _binder = (_, _, _) => throw new InvalidOperationException("conflict");
        Scheduler scheduler = Create(new Profile("default-scheduler", []));
        _queue.Add(Pod("web", cpu: "1"));

        ScheduleResult result = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;
        await result.Binding;

        Assert.False(_cache.IsAssumed(BoundPod("web", "a")));
        Assert.Empty(_cache.UpdateSnapshot().Find("a")!.Pods);
        Assert.Equal((0, 1), (_queue.ActiveCount, _queue.BackoffCount));
        Assert.Contains(_failures, f => f.Pod == "web" && f.Message.Contains("conflict", StringComparison.Ordinal));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, _queue.ActiveCount);
    }

    [Fact]
    public async Task ScheduleOneAsync_FitsNowhere_ReportsUpstreamMessage_AndIsScheduledWhenANodeIsAdded()
    {
        _cache.AddNode(Node("small1", cpu: "1"));
        _cache.AddNode(Node("small2", cpu: "1"));
        var tainted = new FakeFilterPlugin("TaintToleration", (_, n) => n.Name == "control"
            ? PluginStatus.UnschedulableAndUnresolvable("TaintToleration", "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }")
            : PluginStatus.Success);
        _cache.AddNode(Node("control", cpu: "8"));
        Scheduler scheduler = Create(new Profile("default-scheduler", [new(tainted), new(CpuFit()), new(new DefaultPreemption())]));
        V1Pod pod = Pod("big", cpu: "2");
        pod.Spec.PreemptionPolicy = "Never";
        _queue.Add(pod);

        ScheduleResult failed = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;

        const string Expected = "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. "
            + "preemption: not eligible due to preemptionPolicy=Never..";
        Assert.Null(failed.NodeName);
        Assert.Equal(Expected, failed.FailureMessage);
        Assert.Equal([("big", Expected)], _failures);
        Assert.Equal(1, _queue.UnschedulableCount);
        Assert.Equal(["NodeResourcesFit", "TaintToleration"], failed.UnschedulablePlugins.Order(StringComparer.Ordinal));

        _cache.AddNode(Node("large", cpu: "4"));
        _queue.MoveAllToActiveOrBackoff("NodeAdd");
        _time.Advance(TimeSpan.FromSeconds(1));
        ScheduleResult placed = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;
        await placed.Binding;

        Assert.Equal("large", placed.NodeName);
    }

    [Fact]
    public async Task ScheduleOneAsync_FilterError_RetriesAfterBackoffWithoutWaitingForAnEvent()
    {
        AddNodes("a");
        var broken = new FakeFilterPlugin("Broken", (_, _) => PluginStatus.Error("Broken", "boom"));
        Scheduler scheduler = Create(new Profile("default-scheduler", [new(broken)]));
        _queue.Add(Pod("web"));

        ScheduleResult result = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;

        Assert.True(result.IsError);
        Assert.Contains("boom", result.FailureMessage, StringComparison.Ordinal);
        Assert.Equal((1, 0), (_queue.BackoffCount, _queue.UnschedulableCount));
    }

    [Fact]
    public async Task RunAsync_PluginThrows_PodBacksOffAndOtherPodsAreStillScheduled()
    {
        AddNodes("a");
        var throwing = new FakeFilterPlugin("Buggy", (pod, _) => pod.Metadata.Name == "bad" ? throw new InvalidOperationException("bug") : PluginStatus.Success);
        Scheduler scheduler = Create(new Profile("default-scheduler", [new(throwing)]));
        _queue.Add(Pod("bad", priority: 10));
        _queue.Add(Pod("good"));
        var bound = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _binder = (pod, node, _) =>
        {
            _binds.Enqueue((pod.Metadata.Name, node));
            bound.TrySetResult();
            return Task.CompletedTask;
        };
        using var cts = new CancellationTokenSource();

        Task running = scheduler.RunAsync(cts.Token);
        await bound.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cts.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([("good", "a")], _binds);
        Assert.Equal(1, _queue.BackoffCount);
        Assert.Contains(_failures, f => f.Pod == "bad" && f.Message.Contains("bug", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ScheduleOneAsync_PreFilterRejects_NoFilterRuns()
    {
        AddNodes("a", "b");
        var filter = new FakeFilterPlugin("Counting", (_, _) => PluginStatus.Success);
        var preFilter = new FakePreFilterPlugin("VolumeBinding", PluginStatus.UnschedulableAndUnresolvable("VolumeBinding", "persistentvolumeclaim \"data\" not found"));
        Scheduler scheduler = Create(new Profile("default-scheduler", [new(preFilter), new(filter), new(new DefaultPreemption())]));
        _queue.Add(Pod("web"));

        ScheduleResult result = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;

        Assert.Equal(0, filter.Calls);
        Assert.Equal(
            "0/2 nodes are available: persistentvolumeclaim \"data\" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..",
            result.FailureMessage);
    }

    [Fact]
    public void SchedulePod_ThousandNodes_StopsFilteringAtAdaptivePercentage_AndRotatesTheStart()
    {
        for (int i = 0; i < 1000; i++)
        {
            _cache.AddNode(Node($"n{i:D4}"));
        }

        var seen = new ConcurrentDictionary<string, int>();
        var filter = new FakeFilterPlugin("Counting", (_, n) =>
        {
            seen.AddOrUpdate(n.Name, 1, (_, c) => c + 1);
            return PluginStatus.Success;
        });
        var profile = new Profile("default-scheduler", [new(filter)]);
        Scheduler scheduler = Create(profile, parallelism: 4);
        ClusterSnapshot snapshot = _cache.UpdateSnapshot();

        ScheduleResult first = scheduler.SchedulePod(profile, Pod("one"), snapshot);
        ScheduleResult second = scheduler.SchedulePod(profile, Pod("two"), snapshot);
        ScheduleResult third = scheduler.SchedulePod(profile, Pod("three"), snapshot);

        Assert.Equal((420, 420), (first.FeasibleNodes, first.EvaluatedNodes));
        Assert.Equal(420, second.FeasibleNodes);
        Assert.Equal(1000, seen.Count);
        Assert.Equal(1260, seen.Values.Sum());
        Assert.Equal(260, seen.Values.Count(c => c == 2));
        Assert.Equal(420, third.FeasibleNodes);
    }

    [Fact]
    public async Task ScheduleOneAsync_FiveThousandNodes_EachCycleRebuildsOnlyTheNodeItAssumedOn()
    {
        for (int i = 0; i < 5000; i++)
        {
            _cache.AddNode(Node($"n{i:D4}", cpu: "2"));
        }

        _cache.UpdateSnapshot();
        var leastAllocated = new FakeScorePlugin("LeastAllocated", n => 100 - (n.Requested.MilliCpu * 100 / n.Allocatable.MilliCpu));
        Scheduler scheduler = Create(new Profile("default-scheduler", [new(CpuFit()), new(leastAllocated)]), parallelism: 2);
        for (int i = 0; i < 1000; i++)
        {
            _queue.Add(Pod($"p{i}", cpu: "1"));
        }

        var rebuilt = new List<int>();
        var nodes = new HashSet<string>();
        for (int i = 0; i < 1000; i++)
        {
            ScheduleResult result = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;
            rebuilt.Add(_cache.LastSnapshotRebuiltNodes);
            nodes.Add(result.NodeName!);
            Assert.Equal(500, result.EvaluatedNodes);
        }

        Assert.All(rebuilt.Skip(1), r => Assert.Equal(1, r));
        Assert.Equal(1000, nodes.Count);
    }

    [Fact]
    public void SchedulePod_FewFeasible_EvaluatesEveryNode()
    {
        for (int i = 0; i < 300; i++)
        {
            _cache.AddNode(Node($"n{i:D3}"));
        }

        var filter = new FakeFilterPlugin("OnlyTens", (_, n) => n.Name.EndsWith('0') ? PluginStatus.Success : PluginStatus.Unschedulable("OnlyTens", "no"));
        var profile = new Profile("default-scheduler", [new(filter)]);

        ScheduleResult result = Create(profile).SchedulePod(profile, Pod("web"), _cache.UpdateSnapshot());

        Assert.Equal((30, 300, 300), (result.FeasibleNodes, result.EvaluatedNodes, filter.Calls));
        Assert.Equal(270, result.NodeToStatus.Count);
    }

    [Fact]
    public void SchedulePod_EqualScores_TieBrokenRandomlyPerPod_ButReplayableForTheSamePod()
    {
        AddNodes("a", "b", "c", "d");
        var profile = new Profile("default-scheduler", [new(new FakeScorePlugin("Flat", _ => 10))]);
        Scheduler scheduler = Create(profile);
        ClusterSnapshot snapshot = _cache.UpdateSnapshot();

        string[] picks = [.. Enumerable.Range(0, 40).Select(i => scheduler.SchedulePod(profile, Pod($"p{i}"), snapshot).NodeName!)];

        Assert.True(picks.Distinct().Count() > 1);
        Assert.Equal(scheduler.SchedulePod(profile, Pod("p7"), snapshot).NodeName, picks[7]);
    }

    [Fact]
    public async Task ScheduleOneAsync_UnknownSchedulerName_LeavesThePodForAnotherScheduler()
    {
        AddNodes("a");
        Scheduler scheduler = Create(new Profile("default-scheduler", []));
        _queue.Add(Pod("web", schedulerName: "my-scheduler"));

        ScheduleResult? result = await scheduler.ScheduleOneAsync(CancellationToken.None);

        Assert.Null(result);
        Assert.Empty(_binds);
        Assert.Equal((0, 0, 0), (_queue.ActiveCount, _queue.BackoffCount, _queue.UnschedulableCount));
    }

    [Fact]
    public async Task ScheduleOneAsync_TwoProfiles_EachPodRunsWithItsSchedulersPlugins()
    {
        AddNodes("a", "b");
        var onlyB = new FakeFilterPlugin("OnlyB", (_, n) => n.Name == "b" ? PluginStatus.Success : PluginStatus.Unschedulable("OnlyB", "not b"));
        Scheduler scheduler = Create(
            new Profile("default-scheduler", [new(new FakeScorePlugin("PrefersA", n => n.Name == "a" ? 100 : 0))]),
            new Profile("b-scheduler", [new(onlyB)]));
        _queue.Add(Pod("custom", schedulerName: "b-scheduler", priority: 1));
        _queue.Add(Pod("plain"));

        ScheduleResult custom = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;
        ScheduleResult plain = (await scheduler.ScheduleOneAsync(CancellationToken.None))!;

        Assert.Equal(("b", "a"), (custom.NodeName, plain.NodeName));
    }

    private void AddNodes(params string[] names)
    {
        foreach (string name in names)
        {
            _cache.AddNode(Node(name));
        }
    }

    private Scheduler Create(Profile profile, int parallelism = 2) => Create([profile], parallelism);

    private Scheduler Create(params Profile[] profiles) => Create(profiles, 2);

    private Scheduler Create(Profile[] profiles, int parallelism) => new(
        profiles,
        _queue,
        _cache,
        (pod, node, ct) => _binder(pod, node, ct),
        (pod, message, _) =>
        {
            _failures.Enqueue((pod.Metadata.Name, message));
            return Task.CompletedTask;
        },
        NullLogger<Scheduler>.Instance,
        parallelism);
}
