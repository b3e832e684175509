using System.Runtime.CompilerServices;
using System.Threading.Channels;
using k8s.Models;
using Skiff.Machinery.Informers;

namespace Skiff.Machinery.Tests.Informers;

/// <summary>
/// Scripted list and watch calls: each list returns the next queued list; each watch streams the next queued channel (the
/// test writes events and completes it to end the watch) or, with none queued, waits until cancelled.
/// </summary>
internal sealed class FakeListWatch
{
    private readonly Channel<InformerList<V1Pod>> _lists = Channel.CreateUnbounded<InformerList<V1Pod>>();
    private readonly Channel<Channel<InformerWatchEvent<V1Pod>>> _watches = Channel.CreateUnbounded<Channel<InformerWatchEvent<V1Pod>>>();
    private readonly Channel<WatchRequest> _watchRequests = Channel.CreateUnbounded<WatchRequest>();
    private int _listCalls;

    public FakeListWatch()
    {
        ListWatch = new ListWatch<V1Pod>(ListAsync, WatchAsync);
    }

    public ListWatch<V1Pod> ListWatch { get; }

    public int ListCalls => Volatile.Read(ref _listCalls);

    public void EnqueueList(string resourceVersion, params V1Pod[] pods) =>
        _lists.Writer.TryWrite(new InformerList<V1Pod>(pods, resourceVersion));

    /// <summary>Queues a watch stream; write events to it and complete it to end that watch.</summary>
    public ChannelWriter<InformerWatchEvent<V1Pod>> EnqueueWatch()
    {
        Channel<InformerWatchEvent<V1Pod>> stream = Channel.CreateUnbounded<InformerWatchEvent<V1Pod>>();
        _watches.Writer.TryWrite(stream);
        return stream.Writer;
    }

    public async Task<WatchRequest> NextWatchRequestAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _watchRequests.Reader.ReadAsync(timeout.Token);
    }

    private async Task<InformerList<V1Pod>> ListAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _listCalls);
        return await _lists.Reader.ReadAsync(cancellationToken);
    }

    private async IAsyncEnumerable<InformerWatchEvent<V1Pod>> WatchAsync(WatchRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _watchRequests.Writer.TryWrite(request);
        if (!_watches.Reader.TryRead(out Channel<InformerWatchEvent<V1Pod>>? stream))
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            yield break;
        }

        await foreach (InformerWatchEvent<V1Pod> e in stream.Reader.ReadAllAsync(cancellationToken))
        {
            yield return e;
        }
    }
}
