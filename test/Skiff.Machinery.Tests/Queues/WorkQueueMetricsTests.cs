using Microsoft.Extensions.Time.Testing;
using Skiff.Machinery.Queues;

namespace Skiff.Machinery.Tests.Queues;

public sealed class WorkQueueMetricsTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingMetrics _metrics = new();

    [Fact]
    public async Task Metrics_ReportDepthWaitAndWorkTimes_AndIgnoreDuplicateAdds()
    {
        using var queue = new WorkQueue<string>(_time, _metrics);
        queue.Add("default/a");
        queue.Add("default/a");
        queue.Add("default/b");
        Assert.Equal(["added 1", "added 2"], _metrics.Calls);

        _time.Advance(TimeSpan.FromMilliseconds(300));
        WorkQueueItem<string> a = await queue.GetAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(50));
        queue.Done(a.Item);

        Assert.Equal(["added 1", "added 2", "taken 1 after 300ms", "finished after 50ms"], _metrics.Calls);
    }

    [Fact]
    public async Task Metrics_ItemHandedToAWaitingWorker_WaitedNothing_AndRetriesAreCounted()
    {
        using var queue = new WorkQueue<string>(_time, _metrics);
        Task<WorkQueueItem<string>> waiting = queue.GetAsync(CancellationToken.None);

        queue.Add("default/a");
        WorkQueueItem<string> a = await waiting;
        queue.AddRateLimited(a.Item);
        queue.Done(a.Item);

        Assert.Equal(["added 1", "taken 0 after 0ms", "retried", "finished after 0ms"], _metrics.Calls);
    }

    private sealed class RecordingMetrics : IWorkQueueMetrics
    {
        public List<string> Calls { get; } = [];

        public void Added(int depth) => Calls.Add($"added {depth}");

        public void Taken(int depth, TimeSpan waited) => Calls.Add($"taken {depth} after {waited.TotalMilliseconds}ms");

        public void Finished(TimeSpan worked) => Calls.Add($"finished after {worked.TotalMilliseconds}ms");

        public void Retried() => Calls.Add("retried");
    }
}
