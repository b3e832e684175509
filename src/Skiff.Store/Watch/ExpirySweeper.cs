namespace Skiff.Store.Watch;

/// <summary>
/// Runs a backend's sweep of expired keys once a second on the injected clock. Expiry is a normal delete, so watchers see it,
/// as with etcd leases.
/// </summary>
internal sealed class ExpirySweeper : IAsyncDisposable
{
    private static readonly TimeSpan s_period = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ExpirySweeper(TimeProvider timeProvider, Func<CancellationToken, Task> sweep)
    {
        _loop = RunAsync(timeProvider, sweep, _stop.Token);
    }

    private static async Task RunAsync(TimeProvider timeProvider, Func<CancellationToken, Task> sweep, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(s_period, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await sweep(cancellationToken);
                }
                catch (StoreException)
                {
                    // The next tick tries again; a failing store reports its own errors to its callers.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
