namespace Skiff.Machinery.Queues;

/// <summary>Decides how long an item waits before it is retried, from how often it failed.</summary>
public interface IRateLimiter<in T>
    where T : notnull
{
    /// <summary>Records one more failure of <paramref name="item"/> and returns how long it should wait.</summary>
    TimeSpan NextDelay(T item);

    /// <summary>Forgets the failures of <paramref name="item"/> (call after it succeeded).</summary>
    void Forget(T item);

    /// <summary>How many times <paramref name="item"/> failed since it was last forgotten.</summary>
    int NumRequeues(T item);
}
