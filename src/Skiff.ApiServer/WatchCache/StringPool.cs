using System.Collections.Concurrent;

namespace Skiff.ApiServer.WatchCache;

/// <summary>
/// Shares equal short strings (label keys and values, field values like "Running" or "default-scheduler") between cached
/// objects. Bounded, so a stream of unique values cannot grow it without limit; past the bound strings are simply not shared.
/// </summary>
internal sealed class StringPool
{
    private const int MaxLength = 64;
    private const int MaxEntries = 200_000;

    private readonly ConcurrentDictionary<string, string> _strings = new(StringComparer.Ordinal);

    public string Share(string value)
    {
        if (value.Length == 0)
        {
            return string.Empty;
        }

        if (value.Length > MaxLength)
        {
            return value;
        }

        if (_strings.TryGetValue(value, out string? shared))
        {
            return shared;
        }

        return _strings.Count < MaxEntries ? _strings.GetOrAdd(value, value) : value;
    }
}
