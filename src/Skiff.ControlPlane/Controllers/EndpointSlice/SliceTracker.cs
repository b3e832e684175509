namespace Skiff.ControlPlane.Controllers.EndpointSlice;

/// <summary>
/// Remembers the slice writes of each Service until the informer has seen them (upstream's endpointSliceTracker). A sync
/// that ran on a cache without its own last writes would create the same slices twice, so it waits for the events instead.
/// A write the cache never shows (someone deleted the slice at once) is forgotten after <see cref="Patience"/>.
/// </summary>
internal sealed class SliceTracker(TimeProvider timeProvider)
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, Expected>> _byService = new(StringComparer.Ordinal);

    /// <summary>The slice <paramref name="name"/> was written and now has <paramref name="resourceVersion"/>.</summary>
    public void Written(string serviceKey, string name, string? resourceVersion) => Set(serviceKey, name, new Expected(resourceVersion, Deleted: false, timeProvider.GetUtcNow()));

    public void Deleted(string serviceKey, string name) => Set(serviceKey, name, new Expected(null, Deleted: true, timeProvider.GetUtcNow()));

    public void Forget(string serviceKey)
    {
        lock (_lock)
        {
            _byService.Remove(serviceKey);
        }
    }

    /// <summary>
    /// True when the cache (<paramref name="cachedVersions"/>: slice name → resourceVersion) shows every write made for the
    /// Service; entries it shows are dropped.
    /// </summary>
    public bool IsSynced(string serviceKey, IReadOnlyDictionary<string, string?> cachedVersions)
    {
        lock (_lock)
        {
            if (!_byService.TryGetValue(serviceKey, out Dictionary<string, Expected>? expected))
            {
                return true;
            }

            DateTimeOffset now = timeProvider.GetUtcNow();
            foreach ((string name, Expected want) in expected.ToList())
            {
                bool present = cachedVersions.TryGetValue(name, out string? version);
                bool seen = want.Deleted ? !present : present && !IsOlder(version, want.ResourceVersion);
                if (seen || now - want.At > Patience)
                {
                    expected.Remove(name);
                }
            }

            if (expected.Count == 0)
            {
                _byService.Remove(serviceKey);
                return true;
            }

            return false;
        }
    }

    private void Set(string serviceKey, string name, Expected expected)
    {
        lock (_lock)
        {
            if (!_byService.TryGetValue(serviceKey, out Dictionary<string, Expected>? byName))
            {
                byName = new Dictionary<string, Expected>(StringComparer.Ordinal);
                _byService[serviceKey] = byName;
            }

            byName[name] = expected;
        }
    }

    // resourceVersions are opaque, but ours are increasing integers; anything else counts as seen once present.
    private static bool IsOlder(string? cached, string? written) =>
        long.TryParse(cached, System.Globalization.CultureInfo.InvariantCulture, out long c)
        && long.TryParse(written, System.Globalization.CultureInfo.InvariantCulture, out long w)
        && c < w;

    private sealed record Expected(string? ResourceVersion, bool Deleted, DateTimeOffset At);
}
