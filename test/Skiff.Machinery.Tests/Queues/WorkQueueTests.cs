using Microsoft.Extensions.Time.Testing;
using Skiff.Machinery.Queues;

namespace Skiff.Machinery.Tests.Queues;

public sealed class WorkQueueTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Add_SameItemTwiceBeforeGet_ProcessedOnce()
    {
        using var queue = new WorkQueue<string>(_time);
        queue.Add("default/a");
        queue.Add("default/a");
        queue.Add("default/b");

        Assert.Equal(2, queue.Count);
        Assert.Equal("default/a", (await queue.GetAsync(CancellationToken.None)).Item);
        Assert.Equal("default/b", (await queue.GetAsync(CancellationToken.None)).Item);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Add_WhileProcessing_QueuedAgainOnlyAfterDone()
    {
        using var queue = new WorkQueue<string>(_time);
        queue.Add("default/a");
        WorkQueueItem<string> first = await queue.GetAsync(CancellationToken.None);

        queue.Add("default/a");
        queue.Add("default/a");
        Task<WorkQueueItem<string>> second = queue.GetAsync(CancellationToken.None);

        Assert.Equal(0, queue.Count);
        Assert.False(second.IsCompleted);
        queue.Done(first.Item);
        Assert.Equal("default/a", (await second).Item);
        queue.Done("default/a");
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task GetAsync_Empty_WaitsForAdd()
    {
        using var queue = new WorkQueue<string>(_time);
        Task<WorkQueueItem<string>> waiting = queue.GetAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        queue.Add("default/a");

        Assert.Equal("default/a", (await waiting).Item);
    }

    [Fact]
    public async Task GetAsync_Cancelled_ThrowsAndLeavesItemsForOthers()
    {
        using var queue = new WorkQueue<string>(_time);
        using var cts = new CancellationTokenSource();
        Task<WorkQueueItem<string>> waiting = queue.GetAsync(cts.Token);

        await cts.CancelAsync();
        queue.Add("default/a");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal("default/a", (await queue.GetAsync(CancellationToken.None)).Item);
    }

    [Fact]
    public async Task ShutDown_DrainsThenReportsShuttingDown()
    {
        using var queue = new WorkQueue<string>(_time);
        queue.Add("default/a");
        Task<WorkQueueItem<string>> secondWorker = Task.FromResult(await queue.GetAsync(CancellationToken.None));
        Task<WorkQueueItem<string>> idle = queue.GetAsync(CancellationToken.None);

        queue.ShutDown();
        queue.Add("default/b");

        WorkQueueItem<string> idleResult = await idle;
        Assert.True(idleResult.ShuttingDown);
        Assert.True((await queue.GetAsync(CancellationToken.None)).ShuttingDown);
        Assert.True(queue.IsShuttingDown);
        Assert.Throws<InvalidOperationException>(() => idleResult.Item);
        Assert.Equal("default/a", (await secondWorker).Item);
    }

    [Fact]
    public async Task AddAfter_FiresOnTimeProvider()
    {
        using var queue = new WorkQueue<string>(_time);
        queue.AddAfter("default/a", TimeSpan.FromSeconds(10));

        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, queue.Count);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, queue.Count);
        Assert.Equal("default/a", (await queue.GetAsync(CancellationToken.None)).Item);
    }

    [Fact]
    public void AddAfter_EarlierDelayWins_AddedOnce()
    {
        using var queue = new WorkQueue<string>(_time);
        queue.AddAfter("default/a", TimeSpan.FromSeconds(10));
        queue.AddAfter("default/a", TimeSpan.FromSeconds(2));
        queue.AddAfter("default/a", TimeSpan.FromSeconds(5));

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, queue.Count);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public void ShutDown_CancelsPendingDelays()
    {
        using var queue = new WorkQueue<string>(_time);
        queue.AddAfter("default/a", TimeSpan.FromSeconds(1));
        queue.ShutDown();

        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task AddRateLimited_BacksOffExponentially_ForgetResets()
    {
        using var queue = new WorkQueue<string>(_time);
        TimeSpan[] expected = [TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20)];
        foreach (TimeSpan delay in expected)
        {
            queue.AddRateLimited("default/a");
            _time.Advance(delay - TimeSpan.FromTicks(1));
            Assert.Equal(0, queue.Count);
            _time.Advance(TimeSpan.FromTicks(1));
            WorkQueueItem<string> item = await queue.GetAsync(CancellationToken.None);
            queue.Done(item.Item);
        }

        Assert.Equal(3, queue.NumRequeues("default/a"));
        queue.Forget("default/a");
        Assert.Equal(0, queue.NumRequeues("default/a"));
        queue.AddRateLimited("default/a");
        _time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public void ExponentialRateLimiter_ManyFailures_CappedAtThousandSeconds()
    {
        var limiter = new ExponentialRateLimiter<string>();
        TimeSpan last = TimeSpan.Zero;
        for (int i = 0; i < 100; i++)
        {
            last = limiter.NextDelay("default/a");
        }

        Assert.Equal(TimeSpan.FromSeconds(1000), last);
        Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.NextDelay("default/b"));
    }
}
