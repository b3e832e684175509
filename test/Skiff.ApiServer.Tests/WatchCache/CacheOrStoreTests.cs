using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.Tests.Registry;
using Skiff.ApiServer.WatchCache;

namespace Skiff.ApiServer.Tests.WatchCache;

/// <summary>
/// The cache-then-store read admission plugins and token lookups use. The cache is loaded and then stopped, so what it has
/// not seen stays unseen: a deterministic cache miss.
/// </summary>
public sealed class CacheOrStoreTests : IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    private async Task<(ApiWatchCache Cache, CacheOrStore Reads)> LoadThenStopCacheAsync()
    {
        ApiWatchCache cache = _harness.Provider.GetRequiredService<ApiWatchCache>();
        await cache.StartAsync(CancellationToken.None);
        await cache.Ready.WaitAsync(TimeSpan.FromSeconds(30));
        await _harness.CreateNamespaceAsync("seen");
        await _harness.CreateAsync(_harness.ConfigMaps, "seen", """{"metadata":{"name":"c"},"data":{"v":"1"}}""");
        await cache.SyncAsync(CancellationToken.None);
        await cache.StopAsync(CancellationToken.None);
        return (cache, _harness.Provider.GetRequiredService<CacheOrStore>());
    }

    [Fact]
    public async Task GetAsync_NamespaceTheCacheHasNotSeen_ReadsTheStore()
    {
        (_, CacheOrStore reads) = await LoadThenStopCacheAsync();
        await _harness.CreateNamespaceAsync("fresh");

        V1Namespace? found = await reads.GetAsync<V1Namespace>(_harness.Namespaces, null, "fresh", CancellationToken.None);

        Assert.Equal("fresh", found?.Metadata?.Name);
        Assert.Null(await reads.GetAsync<V1Namespace>(_harness.Namespaces, null, "missing", CancellationToken.None));
    }

    [Fact]
    public async Task GetAsync_ObjectInTheCache_ReturnsTheCachedCopyWithoutAStoreRead()
    {
        (_, CacheOrStore reads) = await LoadThenStopCacheAsync();
        JsonObject stored = await _harness.GetAsync(_harness.ConfigMaps, "seen", "c");
        stored["data"]!["v"] = "2";
        await _harness.ReplaceAsync(_harness.ConfigMaps, "seen", "c", stored);

        V1ConfigMap? found = await reads.GetAsync<V1ConfigMap>(_harness.ConfigMaps, "seen", "c", CancellationToken.None);

        Assert.Equal("1", found?.Data["v"]);
    }

    [Fact]
    public async Task ListAsync_CacheHasNoneInTheNamespace_ListsTheStore()
    {
        (_, CacheOrStore reads) = await LoadThenStopCacheAsync();
        await _harness.CreateNamespaceAsync("late");
        await _harness.CreateAsync(_harness.ConfigMaps, "late", """{"metadata":{"name":"x"}}""");

        List<V1ConfigMap> late = await reads.ListAsync<V1ConfigMap>(_harness.ConfigMaps, "late", CancellationToken.None);
        List<V1ConfigMap> seen = await reads.ListAsync<V1ConfigMap>(_harness.ConfigMaps, "seen", CancellationToken.None);

        Assert.Equal(["x"], late.Select(c => c.Metadata.Name));
        Assert.Equal(["c"], seen.Select(c => c.Metadata.Name));
    }

    [Fact]
    public async Task ListAsync_StoreFoundNone_IsNotAskedAgainUntilTheCacheMoves()
    {
        (_, CacheOrStore reads) = await LoadThenStopCacheAsync();
        await _harness.CreateNamespaceAsync("quiet");
        Assert.Empty(await reads.ListAsync<V1ConfigMap>(_harness.ConfigMaps, "quiet", CancellationToken.None));

        // The stopped cache never sees this object, so its configmaps bucket does not move: the empty answer stands without
        // a second store list (a running cache moves within moments, and the next list asks the store again).
        await _harness.CreateAsync(_harness.ConfigMaps, "quiet", """{"metadata":{"name":"unseen"}}""");

        Assert.Empty(await reads.ListAsync<V1ConfigMap>(_harness.ConfigMaps, "quiet", CancellationToken.None));
    }
}
