using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Skiff.ApiServer.WatchCache;

/// <summary>
/// A small read-only string map in two arrays. The cache keeps one per object for labels and selectable fields; a Dictionary
/// costs several times more for the handful of entries objects carry, and the cache must stay near the size of the JSON.
/// </summary>
internal sealed class CompactMap : IReadOnlyDictionary<string, string>
{
    public static readonly CompactMap Empty = new([], []);

    private readonly string[] _keys;
    private readonly string[] _values;

    /// <param name="keys">The keys; may be shared between maps (the selectable field names of a resource).</param>
    /// <param name="values">One value per key.</param>
    public CompactMap(string[] keys, string[] values)
    {
        _keys = keys;
        _values = values;
    }

    public int Count => _keys.Length;

    public IEnumerable<string> Keys => _keys;

    public IEnumerable<string> Values => _values;

    public string this[string key] => TryGetValue(key, out string? value) ? value : throw new KeyNotFoundException(key);

    public bool ContainsKey(string key) => Array.IndexOf(_keys, key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        int index = Array.IndexOf(_keys, key);
        value = index >= 0 ? _values[index] : null;
        return index >= 0;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            yield return new KeyValuePair<string, string>(_keys[i], _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
