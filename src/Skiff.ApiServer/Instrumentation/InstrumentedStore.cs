using System.Collections.Frozen;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Store;

namespace Skiff.ApiServer.Instrumentation;

/// <summary>
/// Times every store call for <c>etcd_request_duration_seconds</c> and otherwise passes it through unchanged: same results, same
/// exceptions. The type label is the resource a key belongs to (pods, deployments.apps), or "other" for keys outside the
/// catalog (allocations, whole-store lists), so it stays bounded. Watches are long-running and not timed.
/// </summary>
internal sealed class InstrumentedStore : IRevisionedStore
{
    private const string OtherType = "other";

    private readonly IRevisionedStore _inner;
    private readonly ApiServerMetrics _metrics;
    private readonly FrozenDictionary<string, string> _types;

    public InstrumentedStore(IRevisionedStore inner, ApiServerMetrics metrics, ResourceCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _inner = inner;
        _metrics = metrics;
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (ResourceInfo resource in catalog.Resources.Where(r => !r.IsVirtual))
        {
            types.TryAdd(StorageKeys.ResourcePrefix(resource), resource.QualifiedName);
        }

        _types = types.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken) =>
        TimeAsync("currentRevision", OtherType, () => _inner.GetCurrentRevisionAsync(cancellationToken));

    public Task<KeyValue?> GetAsync(string key, long revision, CancellationToken cancellationToken) =>
        TimeAsync("get", TypeOf(key), () => _inner.GetAsync(key, revision, cancellationToken));

    public Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken) =>
        TimeAsync("list", TypeOf(prefix), () => _inner.ListAsync(prefix, options, cancellationToken));

    public Task<long> CountAsync(string prefix, CancellationToken cancellationToken) =>
        TimeAsync("count", TypeOf(prefix), () => _inner.CountAsync(prefix, cancellationToken));

    public Task<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? timeToLive, CancellationToken cancellationToken) =>
        TimeAsync("create", TypeOf(key), () => _inner.CreateAsync(key, value, timeToLive, cancellationToken));

    public Task<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, TimeSpan? timeToLive, CancellationToken cancellationToken) =>
        TimeAsync("update", TypeOf(key), () => _inner.UpdateAsync(key, value, expectedModRevision, timeToLive, cancellationToken));

    public Task<WriteResult> DeleteAsync(string key, long expectedModRevision, CancellationToken cancellationToken) =>
        TimeAsync("delete", TypeOf(key), () => _inner.DeleteAsync(key, expectedModRevision, cancellationToken));

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken) =>
        _inner.WatchAsync(prefix, afterRevision, cancellationToken);

    public async Task CompactAsync(long revision, CancellationToken cancellationToken) =>
        await TimeAsync("compact", OtherType, async () =>
        {
            await _inner.CompactAsync(revision, cancellationToken);
            return true;
        });

    /// <summary>The container owns (and disposes) the wrapped store; this wrapper holds nothing of its own.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private string TypeOf(string key) =>
        StorageKeys.PrefixOf(key) is { } prefix && _types.TryGetValue(prefix, out string? type) ? type : OtherType;

    private async Task<T> TimeAsync<T>(string operation, string type, Func<Task<T>> call)
    {
        long started = _metrics.Start();
        try
        {
            return await call();
        }
        finally
        {
            _metrics.ObserveStore(operation, type, started);
        }
    }
}
