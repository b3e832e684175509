using Microsoft.Extensions.Logging;

namespace Skiff.Store.Sqlite;

// Placeholder so the solution compiles while the sqlite backend is written; replaced wholesale.
internal sealed class SqliteStore : IRevisionedStore
{
    public static SqliteStore Open(string path, TimeProvider timeProvider, ILogger<SqliteStore> logger) => throw new NotSupportedException("sqlite backend not built yet");

    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<KeyValue?> GetAsync(string key, long revision, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<long> CountAsync(string prefix, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? timeToLive, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, TimeSpan? timeToLive, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<WriteResult> DeleteAsync(string key, long expectedModRevision, CancellationToken cancellationToken) => throw new NotSupportedException();

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task CompactAsync(long revision, CancellationToken cancellationToken) => throw new NotSupportedException();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
