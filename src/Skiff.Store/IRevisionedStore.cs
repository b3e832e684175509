namespace Skiff.Store;

/// <summary>
/// A revisioned key/value store with watch: the one contract the API server writes through.
/// It works on keys and bytes only and knows nothing of Kubernetes kinds.
/// </summary>
/// <remarks>
/// Every successful write gets the next cluster-wide revision. Expected outcomes of a write (the key exists,
/// the compare-and-swap lost, the key is gone) come back as a <see cref="WriteResult"/>, not as exceptions.
/// Reads or watches below the compacted revision throw <see cref="CompactedException"/>.
/// </remarks>
public interface IRevisionedStore : IAsyncDisposable
{
    /// <summary>The newest revision the store has committed.</summary>
    Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken);

    /// <summary>The key's value at <paramref name="revision"/> (0 = latest), or null when it did not exist then.</summary>
    Task<KeyValue?> GetAsync(string key, long revision, CancellationToken cancellationToken);

    /// <summary>Keys under a prefix, in byte order, all as of one revision.</summary>
    Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken);

    /// <summary>How many keys exist under a prefix now.</summary>
    Task<long> CountAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Creates the key; fails with <see cref="WriteStatus.AlreadyExists"/> when it exists.</summary>
    Task<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? timeToLive, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the value when the key's mod revision is <paramref name="expectedModRevision"/>
    /// (<see cref="WriteStatus.Conflict"/> otherwise, carrying the current value).
    /// </summary>
    Task<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, TimeSpan? timeToLive, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the key; with <paramref name="expectedModRevision"/> greater than 0 only when it still has that mod revision.
    /// On success <see cref="WriteResult.Revision"/> is the delete's revision and <see cref="WriteResult.Value"/> the deleted value.
    /// </summary>
    Task<WriteResult> DeleteAsync(string key, long expectedModRevision, CancellationToken cancellationToken);

    /// <summary>
    /// Every change under <paramref name="prefix"/> with a revision greater than <paramref name="afterRevision"/>, in revision
    /// order, with no gap and no duplicate, until the token is cancelled.
    /// Throws <see cref="CompactedException"/> when changes after <paramref name="afterRevision"/> are no longer kept.
    /// </summary>
    IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken);

    /// <summary>Drops history older than <paramref name="revision"/>; reads at that revision and later keep working.</summary>
    Task CompactAsync(long revision, CancellationToken cancellationToken);
}
