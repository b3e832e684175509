using System.Threading.Channels;

namespace Skiff.ApiServer.WatchCache;

/// <summary>One client watch attached to a resource's bucket. A watcher that falls too far behind is closed (as upstream does).</summary>
internal sealed class CacheWatcher : IDisposable
{
    private const int Capacity = 4096;

    private readonly ResourceBucket _bucket;
    private readonly Channel<CacheEvent> _channel = Channel.CreateBounded<CacheEvent>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    public CacheWatcher(ResourceBucket bucket, string? ns)
    {
        _bucket = bucket;
        Namespace = ns;
    }

    public string? Namespace { get; }

    public ChannelReader<CacheEvent> Reader => _channel.Reader;

    /// <summary>Queues an event; false when the watcher is full and has been closed.</summary>
    internal bool Offer(CacheEvent change)
    {
        if (Namespace is not null && change.Object.Namespace != Namespace)
        {
            return true;
        }

        if (_channel.Writer.TryWrite(change))
        {
            return true;
        }

        _channel.Writer.TryComplete();
        return false;
    }

    internal void Close() => _channel.Writer.TryComplete();

    public void Dispose()
    {
        _bucket.Remove(this);
        _channel.Writer.TryComplete();
    }
}
