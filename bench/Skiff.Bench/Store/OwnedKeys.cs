namespace Skiff.Bench.Store;

/// <summary>
/// The keys each writer created, with their latest mod revision, so a later phase can update them with compare-and-swap that
/// never conflicts. A writer only touches its own lists, so no locking is needed.
/// </summary>
internal sealed class OwnedKeys
{
    private readonly List<string>[] _keys;
    private readonly List<long>[] _revisions;

    public OwnedKeys(int writers)
    {
        _keys = new List<string>[writers];
        _revisions = new List<long>[writers];
        for (int i = 0; i < writers; i++)
        {
            _keys[i] = [];
            _revisions[i] = [];
        }
    }

    public int Writers => _keys.Length;

    public int Count => _keys.Sum(k => k.Count);

    public void Add(int writer, string key, long revision)
    {
        _keys[writer].Add(key);
        _revisions[writer].Add(revision);
    }

    /// <summary>The writer's <paramref name="sequence"/>-th key in round-robin order, with its revision.</summary>
    public (int Slot, string Key, long Revision) Next(int writer, long sequence)
    {
        List<string> keys = _keys[writer];
        if (keys.Count == 0)
        {
            throw new InvalidOperationException($"writer {writer} created no keys, so it has nothing to update");
        }

        int slot = (int)(sequence % keys.Count);
        return (slot, keys[slot], _revisions[writer][slot]);
    }

    public void SetRevision(int writer, int slot, long revision) => _revisions[writer][slot] = revision;
}
