using System.Threading.Channels;

namespace Skiff.Store.Watch;

/// <summary>One watcher's queue of live changes.</summary>
internal sealed class WatchSubscription : IDisposable
{
    private readonly WatchHub _hub;
    private readonly Channel<WatchEvent> _channel = Channel.CreateBounded<WatchEvent>(
        new BoundedChannelOptions(WatchHub.SubscriberCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    public WatchSubscription(WatchHub hub, string prefix)
    {
        _hub = hub;
        Prefix = prefix;
    }

    public string Prefix { get; }

    /// <summary>True when the channel was closed because the reader fell behind (as opposed to shutdown).</summary>
    public bool Overflowed { get; private set; }

    public ChannelReader<WatchEvent> Reader => _channel.Reader;

    internal bool TryWrite(WatchEvent change) => _channel.Writer.TryWrite(change);

    internal void Complete(bool overflowed)
    {
        Overflowed = overflowed;
        _channel.Writer.TryComplete();
    }

    public void Dispose()
    {
        _hub.Remove(this);
        _channel.Writer.TryComplete();
    }
}
