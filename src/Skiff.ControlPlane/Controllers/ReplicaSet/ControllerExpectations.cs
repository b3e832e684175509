using System.Collections.Concurrent;

namespace Skiff.ControlPlane.Controllers.ReplicaSet;

/// <summary>
/// Pending creates and deletes per controller key, so a sync does not act again on a cache that has not yet seen its own
/// writes (upstream's UIDTrackingControllerExpectations). Creates are counted; deletes are tracked by pod key, because a
/// deleted pod is seen twice (deletionTimestamp set, then gone) and must be counted once. A key is satisfied when every
/// expected create and delete was observed, or when the expectations are older than <see cref="Timeout"/>, so a lost watch
/// event cannot block the controller forever.
/// </summary>
internal sealed class ControllerExpectations
{
    internal static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;

    public ControllerExpectations(TimeProvider timeProvider) => _timeProvider = timeProvider;

    public void ExpectCreations(string key, int adds) =>
        _entries[key] = new Entry(adds, [], _timeProvider.GetUtcNow());

    public void ExpectDeletions(string key, IEnumerable<string> podKeys) =>
        _entries[key] = new Entry(0, [.. podKeys], _timeProvider.GetUtcNow());

    public void CreationObserved(string key)
    {
        if (_entries.TryGetValue(key, out Entry? entry))
        {
            Interlocked.Decrement(ref entry.Adds);
        }
    }

    /// <summary>A create that failed will never be observed: stop waiting for it.</summary>
    public void CreationFailed(string key) => CreationObserved(key);

    public void DeletionObserved(string key, string podKey)
    {
        if (_entries.TryGetValue(key, out Entry? entry))
        {
            entry.Deletes.TryRemove(podKey, out _);
        }
    }

    public bool IsSatisfied(string key)
    {
        if (!_entries.TryGetValue(key, out Entry? entry))
        {
            return true;
        }

        return (Volatile.Read(ref entry.Adds) <= 0 && entry.Deletes.IsEmpty) || _timeProvider.GetUtcNow() - entry.Timestamp > Timeout;
    }

    public void Delete(string key) => _entries.TryRemove(key, out _);

    private sealed class Entry(int adds, IEnumerable<string> deletes, DateTimeOffset timestamp)
    {
        public int Adds = adds;

        public ConcurrentDictionary<string, bool> Deletes { get; } = new(deletes.Select(d => KeyValuePair.Create(d, true)), StringComparer.Ordinal);

        public DateTimeOffset Timestamp { get; } = timestamp;
    }
}
