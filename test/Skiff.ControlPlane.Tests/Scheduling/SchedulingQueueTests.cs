using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Skiff.ControlPlane.Scheduling.Queue;
using static Skiff.ControlPlane.Tests.Scheduling.Fakes.SchedulingObjects;

namespace Skiff.ControlPlane.Tests.Scheduling;

public sealed class SchedulingQueueTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly SchedulingQueue _queue;

    public SchedulingQueueTests() => _queue = new SchedulingQueue(_time);

    public void Dispose() => _queue.Dispose();

    [Fact]
    public async Task PopAsync_HigherPriorityFirst_ThenEarlierEnqueued()
    {
        _queue.Add(Pod("low-first", priority: 0));
        _time.Advance(TimeSpan.FromMilliseconds(10));
        _queue.Add(Pod("high", priority: 1000));
        _queue.Add(Pod("low-second"));
        _queue.Add(Pod("negative", priority: -5));

        List<string> order = [];
        for (int i = 0; i < 4; i++)
        {
            order.Add((await _queue.PopAsync(CancellationToken.None)).Pod.Metadata.Name);
        }

        Assert.Equal(["high", "low-first", "low-second", "negative"], order);
    }

    [Fact]
    public void BackoffDuration_DoublesFromOneSecond_CappedAtTen()
    {
        int[] seconds = [.. Enumerable.Range(1, 6).Select(a => (int)SchedulingQueue.BackoffDuration(a).TotalSeconds)];

        Assert.Equal([1, 2, 4, 8, 10, 10], seconds);
    }

    [Fact]
    public async Task AddBackoff_PodReturnsToActiveOnlyAfterItsBackoff_WhichDoublesPerAttempt()
    {
        _queue.Add(Pod("web"));
        QueuedPodInfo first = await _queue.PopAsync(CancellationToken.None);
        _queue.AddBackoff(first);

        _time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.Equal((0, 1), (_queue.ActiveCount, _queue.BackoffCount));
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal((1, 0), (_queue.ActiveCount, _queue.BackoffCount));

        QueuedPodInfo second = await _queue.PopAsync(CancellationToken.None);
        Assert.Equal(2, second.Attempts);
        _queue.AddBackoff(second);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, _queue.ActiveCount);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, _queue.ActiveCount);
    }

    [Fact]
    public async Task PopAsync_PodInBackoff_DoesNotBlockThePodsBehindIt()
    {
        _queue.Add(Pod("important", priority: 100));
        QueuedPodInfo important = await _queue.PopAsync(CancellationToken.None);
        _queue.AddBackoff(important);
        _queue.Add(Pod("ordinary"));

        QueuedPodInfo next = await _queue.PopAsync(CancellationToken.None);

        Assert.Equal("ordinary", next.Pod.Metadata.Name);
    }

    [Fact]
    public async Task MoveAllToActiveOrBackoff_UnschedulablePodBackedOff_GoesToActive()
    {
        _queue.Add(Pod("big"));
        QueuedPodInfo info = await _queue.PopAsync(CancellationToken.None);
        _queue.AddUnschedulable(info, ["NodeResourcesFit"]);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal((0, 0, 1), (_queue.ActiveCount, _queue.BackoffCount, _queue.UnschedulableCount));

        _queue.MoveAllToActiveOrBackoff("NodeAdd");

        Assert.Equal((1, 0, 0), (_queue.ActiveCount, _queue.BackoffCount, _queue.UnschedulableCount));
        Assert.Contains("NodeResourcesFit", info.UnschedulablePlugins);
    }

    [Fact]
    public async Task MoveAllToActiveOrBackoff_UnschedulablePodStillBackingOff_WaitsInBackoff()
    {
        _queue.Add(Pod("big"));
        QueuedPodInfo info = await _queue.PopAsync(CancellationToken.None);
        _queue.AddUnschedulable(info, ["NodeResourcesFit"]);

        _queue.MoveAllToActiveOrBackoff("NodeUpdate");

        Assert.Equal((0, 1, 0), (_queue.ActiveCount, _queue.BackoffCount, _queue.UnschedulableCount));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, _queue.ActiveCount);
    }

    [Fact]
    public async Task AddUnschedulable_EventArrivedDuringTheAttempt_PodGoesToBackoffNotUnschedulable()
    {
        _queue.Add(Pod("big"));
        QueuedPodInfo info = await _queue.PopAsync(CancellationToken.None);
        _queue.MoveAllToActiveOrBackoff("NodeAdd");

        _queue.AddUnschedulable(info, ["NodeResourcesFit"]);

        Assert.Equal((0, 1), (_queue.UnschedulableCount, _queue.BackoffCount));
    }

    [Fact]
    public async Task UnschedulablePod_NoEventForFiveMinutes_IsRetriedAnyway()
    {
        _queue.Add(Pod("big"));
        QueuedPodInfo info = await _queue.PopAsync(CancellationToken.None);
        _queue.AddUnschedulable(info, ["NodeResourcesFit"]);

        _time.Advance(TimeSpan.FromMinutes(4.5));
        Assert.Equal(1, _queue.UnschedulableCount);
        _time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal((1, 0), (_queue.ActiveCount, _queue.UnschedulableCount));
    }

    [Fact]
    public async Task PopAsync_EmptyQueue_WaitsForAnAdd_AndHonoursCancellation()
    {
        Task<QueuedPodInfo> waiting = _queue.PopAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        _queue.Add(Pod("late"));
        Assert.Equal("late", (await waiting.WaitAsync(TimeSpan.FromSeconds(10))).Pod.Metadata.Name);

        using var cts = new CancellationTokenSource();
        Task<QueuedPodInfo> cancelled = _queue.PopAsync(cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
    }

    [Fact]
    public async Task Delete_QueuedOrInFlightPod_IsNeverScheduledAgain()
    {
        V1Pod queued = Pod("queued");
        V1Pod inFlight = Pod("in-flight");
        _queue.Add(inFlight);
        QueuedPodInfo info = await _queue.PopAsync(CancellationToken.None);
        _queue.Add(queued);

        _queue.Delete(queued);
        _queue.Delete(inFlight);
        _queue.AddUnschedulable(info, ["NodeResourcesFit"]);

        Assert.Equal((0, 0, 0), (_queue.ActiveCount, _queue.BackoffCount, _queue.UnschedulableCount));
    }

    [Fact]
    public async Task Update_ActivePodGetsHigherPriority_MovesAhead()
    {
        _queue.Add(Pod("a"));
        _queue.Add(Pod("b"));

        _queue.Update(Pod("b", priority: 10));

        Assert.Equal("b", (await _queue.PopAsync(CancellationToken.None)).Pod.Metadata.Name);
    }

    [Fact]
    public async Task Update_UnschedulablePod_SpecChangeRetriesIt_StatusChangeDoesNot()
    {
        _queue.Add(Pod("web", cpu: "8"));
        QueuedPodInfo info = await _queue.PopAsync(CancellationToken.None);
        _queue.AddUnschedulable(info, ["NodeResourcesFit"]);
        _time.Advance(TimeSpan.FromSeconds(2));

        V1Pod statusOnly = Pod("web", cpu: "8");
        statusOnly.Status = new V1PodStatus { Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "False" }] };
        _queue.Update(statusOnly);
        Assert.Equal(1, _queue.UnschedulableCount);

        _queue.Update(Pod("web", cpu: "1"));
        Assert.Equal((1, 0), (_queue.ActiveCount, _queue.UnschedulableCount));
    }
}
