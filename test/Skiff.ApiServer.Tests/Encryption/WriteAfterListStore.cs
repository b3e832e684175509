using Skiff.Store;

namespace Skiff.ApiServer.Tests.Encryption;

/// <summary>
/// The real store with one interposed write: the first list under a prefix runs <paramref name="write"/> after reading its
/// page and before returning it, so the caller acts on values that are already stale (a write racing the caller).
/// </summary>
internal sealed class WriteAfterListStore(IRevisionedStore inner, Func<Task> write) : IRevisionedStore
{
    private int _fired;

    public async Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken)
    {
        ListResult page = await inner.ListAsync(prefix, options, cancellationToken);
        if (page.Items.Count > 0 && Interlocked.Exchange(ref _fired, 1) == 0)
        {
            await write();
        }

        return page;
    }

    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken) => inner.GetCurrentRevisionAsync(cancellationToken);

    public Task<KeyValue?> GetAsync(string key, long revision, CancellationToken cancellationToken) => inner.GetAsync(key, revision, cancellationToken);

    public Task<long> CountAsync(string prefix, CancellationToken cancellationToken) => inner.CountAsync(prefix, cancellationToken);

    public Task<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? timeToLive, CancellationToken cancellationToken) =>
        inner.CreateAsync(key, value, timeToLive, cancellationToken);

    public Task<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, TimeSpan? timeToLive, CancellationToken cancellationToken) =>
        inner.UpdateAsync(key, value, expectedModRevision, timeToLive, cancellationToken);

    public Task<WriteResult> DeleteAsync(string key, long expectedModRevision, CancellationToken cancellationToken) =>
        inner.DeleteAsync(key, expectedModRevision, cancellationToken);

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken) =>
        inner.WatchAsync(prefix, afterRevision, cancellationToken);

    public Task CompactAsync(long revision, CancellationToken cancellationToken) => inner.CompactAsync(revision, cancellationToken);

    /// <summary>The wrapped store belongs to the harness.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
