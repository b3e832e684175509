using System.Diagnostics.CodeAnalysis;
using k8s;
using k8s.Models;

namespace Skiff.Machinery.Informers;

/// <summary>
/// An informer's local copy of one resource type, keyed "namespace/name" ("name" for cluster-scoped objects), with named
/// indexes. Safe to read from any thread. Everything it returns is the cached instance itself, shared with every other
/// reader and handler: clone before mutating (STYLE.md §2f), or the cache silently diverges from the server.
/// </summary>
public sealed class InformerCache<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly IReadOnlyDictionary<string, Func<T, IEnumerable<string>>> _indexers;
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> _indexes = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public InformerCache(IReadOnlyDictionary<string, Func<T, IEnumerable<string>>>? indexers = null)
    {
        _indexers = indexers ?? new Dictionary<string, Func<T, IEnumerable<string>>>();
        foreach (string name in _indexers.Keys)
        {
            _indexes[name] = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    public bool TryGet(string key, [NotNullWhen(true)] out T? obj)
    {
        lock (_lock)
        {
            return _items.TryGetValue(key, out obj);
        }
    }

    public T? Get(string? @namespace, string name) => TryGet(ObjectKeys.Of(@namespace, name), out T? obj) ? obj : null;

    public IReadOnlyList<T> List()
    {
        lock (_lock)
        {
            return [.. _items.Values];
        }
    }

    public IReadOnlyList<string> ListKeys()
    {
        lock (_lock)
        {
            return [.. _items.Keys];
        }
    }

    /// <summary>The objects whose <paramref name="indexName"/> index function returned <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">No indexer has that name.</exception>
    public IReadOnlyList<T> ByIndex(string indexName, string value)
    {
        lock (_lock)
        {
            if (!_indexes.TryGetValue(indexName, out Dictionary<string, HashSet<string>>? index))
            {
                throw new ArgumentException($"The cache has no index named '{indexName}'.", nameof(indexName));
            }

            return index.TryGetValue(value, out HashSet<string>? keys) ? [.. keys.Select(k => _items[k])] : [];
        }
    }

    /// <summary>Stores <paramref name="obj"/> and returns what it replaced.</summary>
    internal T? Upsert(T obj)
    {
        string key = ObjectKeys.Of(obj);
        lock (_lock)
        {
            _items.TryGetValue(key, out T? old);
            if (old is not null)
            {
                Unindex(key, old);
            }

            _items[key] = obj;
            Index(key, obj);
            return old;
        }
    }

    /// <summary>Removes the object under <paramref name="key"/> and returns it, if there was one.</summary>
    internal T? Remove(string key)
    {
        lock (_lock)
        {
            if (!_items.Remove(key, out T? old))
            {
                return null;
            }

            Unindex(key, old);
            return old;
        }
    }

    private void Index(string key, T obj)
    {
        foreach ((string name, Func<T, IEnumerable<string>> indexer) in _indexers)
        {
            Dictionary<string, HashSet<string>> index = _indexes[name];
            foreach (string value in indexer(obj))
            {
                if (!index.TryGetValue(value, out HashSet<string>? keys))
                {
                    keys = new HashSet<string>(StringComparer.Ordinal);
                    index[value] = keys;
                }

                keys.Add(key);
            }
        }
    }

    private void Unindex(string key, T obj)
    {
        foreach ((string name, Func<T, IEnumerable<string>> indexer) in _indexers)
        {
            Dictionary<string, HashSet<string>> index = _indexes[name];
            foreach (string value in indexer(obj))
            {
                if (index.TryGetValue(value, out HashSet<string>? keys) && keys.Remove(key) && keys.Count == 0)
                {
                    index.Remove(value);
                }
            }
        }
    }
}
