namespace Skiff.Machinery.Queues;

/// <summary>
/// A per-item exponential back-off: the first failure waits <see cref="BaseDelay"/>, each further one doubles it, up to
/// <see cref="MaxDelay"/>. The defaults (5 ms to 1000 s) are upstream's default controller back-off, so a broken object is
/// retried quickly at first and then only every ~17 minutes, without starving healthy keys.
/// </summary>
public sealed class ExponentialRateLimiter<T> : IRateLimiter<T>
    where T : notnull
{
    public static readonly TimeSpan DefaultBaseDelay = TimeSpan.FromMilliseconds(5);
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(1000);

    private readonly Dictionary<T, int> _failures = [];
    private readonly Lock _lock = new();

    public ExponentialRateLimiter()
        : this(DefaultBaseDelay, DefaultMaxDelay)
    {
    }

    public ExponentialRateLimiter(TimeSpan baseDelay, TimeSpan maxDelay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(baseDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, baseDelay);
        BaseDelay = baseDelay;
        MaxDelay = maxDelay;
    }

    public TimeSpan BaseDelay { get; }

    public TimeSpan MaxDelay { get; }

    public TimeSpan NextDelay(T item)
    {
        int exponent;
        lock (_lock)
        {
            _failures.TryGetValue(item, out exponent);
            _failures[item] = exponent + 1;
        }

        // Computed in double so a long-failing item cannot overflow the shift; the cap applies before converting back.
        double ticks = BaseDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    public void Forget(T item)
    {
        lock (_lock)
        {
            _failures.Remove(item);
        }
    }

    public int NumRequeues(T item)
    {
        lock (_lock)
        {
            return _failures.GetValueOrDefault(item);
        }
    }
}
