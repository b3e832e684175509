using System.Collections.Concurrent;

namespace Skiff.ControlPlane.Controllers.ReplicaSet;

/// <summary>
/// Pending creates and deletes per controller key, so a sync does not act again on a cache that has not yet seen its own
/// writes (upstream's ControllerExpectations). A key is satisfied when every expected add and delete was observed, or when
/// the expectations are older than the timeout (a lost watch event must not block the controller forever).
/// </summary>
internal sealed class ControllerExpectations
{
    internal static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;

    public ControllerExpectations(TimeProvider timeProvider) => _timeProvider = timeProvider;

    public void Expect(string key, int adds, int deletes) =>
        _entries[key] = new Entry(adds, deletes, _timeProvider.GetUtcNow());

    public void CreationObserved(string key) => Lower(key, 1, 0);

    public void DeletionObserved(string key) => Lower(key, 0, 1);

    /// <summary>A create or delete that failed will never be observed: stop waiting for it.</summary>
    public void CreationFailed(string key) => Lower(key, 1, 0);

    public void DeletionFailed(string key) => Lower(key, 0, 1);

    public bool IsSatisfied(string key)
    {
        if (!_entries.TryGetValue(key, out Entry? entry))
        {
            return true;
        }

        return (entry.Adds <= 0 && entry.Deletes <= 0) || _timeProvider.GetUtcNow() - entry.Timestamp > Timeout;
    }

    public void Delete(string key) => _entries.TryRemove(key, out _);

    private void Lower(string key, int adds, int deletes)
    {
        if (_entries.TryGetValue(key, out Entry? entry))
        {
            Interlocked.Add(ref entry.Adds, -adds);
            Interlocked.Add(ref entry.Deletes, -deletes);
        }
    }

    private sealed class Entry(int adds, int deletes, DateTimeOffset timestamp)
    {
        public int Adds = adds;
        public int Deletes = deletes;

        public DateTimeOffset Timestamp { get; } = timestamp;
    }
}
