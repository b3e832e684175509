namespace Skiff.Store.Watch;

/// <summary>
/// In-process fan-out of committed changes for the embedded backends. The single writer publishes each commit here after it
/// is durable; a subscriber learns the revision it was attached at, so it can read older history from the backend and take
/// everything newer from its channel with no gap and no duplicate.
/// </summary>
internal sealed class WatchHub
{
    // Enough for bursts; a subscriber that falls further behind is closed and catches up from history (see LocalWatch).
    internal const int SubscriberCapacity = 8192;

    private readonly Lock _lock = new();
    private readonly List<WatchSubscription> _subscriptions = [];
    private long _revision;
    private bool _closed;

    public WatchHub(long revision) => _revision = revision;

    /// <summary>Attaches a subscriber; every change after <paramref name="revision"/> will reach its channel.</summary>
    public WatchSubscription Subscribe(string prefix, out long revision)
    {
        var subscription = new WatchSubscription(this, prefix);
        lock (_lock)
        {
            if (_closed)
            {
                subscription.Complete(overflowed: false);
            }
            else
            {
                _subscriptions.Add(subscription);
            }

            revision = _revision;
        }

        return subscription;
    }

    /// <summary>Hands one commit's events (in revision order) to every matching subscriber.</summary>
    public void Publish(IReadOnlyList<WatchEvent> events, long revision)
    {
        lock (_lock)
        {
            for (int i = _subscriptions.Count - 1; i >= 0; i--)
            {
                WatchSubscription subscription = _subscriptions[i];
                foreach (WatchEvent change in events)
                {
                    if (change.Current.Key.StartsWith(subscription.Prefix, StringComparison.Ordinal) && !subscription.TryWrite(change))
                    {
                        // Too far behind: close it; the reader resubscribes and reads the gap from history.
                        subscription.Complete(overflowed: true);
                        _subscriptions.RemoveAt(i);
                        break;
                    }
                }
            }

            _revision = Math.Max(_revision, revision);
        }
    }

    /// <summary>Ends every subscription, for shutdown.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            foreach (WatchSubscription subscription in _subscriptions)
            {
                subscription.Complete(overflowed: false);
            }

            _subscriptions.Clear();
        }
    }

    internal void Remove(WatchSubscription subscription)
    {
        lock (_lock)
        {
            _subscriptions.Remove(subscription);
        }
    }
}
