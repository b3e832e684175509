using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Store.Etcd;
using Skiff.TestKit.Etcd;

namespace Skiff.Store.Tests.Etcd;

/// <summary>
/// Restarts its own etcd (not the shared one), so the other etcd tests never see the outage.
/// </summary>
public sealed class EtcdRestartTests
{
    [Fact]
    public async Task Watch_EtcdRestarts_ResumesAfterLastDeliveredRevisionWithoutGapOrDuplicate()
    {
        await using EtcdProcess etcd = await EtcdProcess.StartAsync(default);
        await using EtcdStore store = EtcdStore.Create([etcd.ClientUrl], "/restart", NullLogger<EtcdStore>.Instance);
        long start = await store.GetCurrentRevisionAsync(default);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using IAsyncEnumerator<WatchEvent> watch = store.WatchAsync("/r/", start, timeout.Token).GetAsyncEnumerator(timeout.Token);
        WriteResult before = await store.CreateAsync("/r/a", Encoding.UTF8.GetBytes("1"), null, default);
        Assert.True(await watch.MoveNextAsync());

        await etcd.RestartAsync(timeout.Token);
        WriteResult after = await CreateWhenReachableAsync(store, "/r/b", timeout.Token);
        Assert.True(await watch.MoveNextAsync());

        Assert.Equal(start + 1, before.Revision);
        Assert.Equal("/r/b", watch.Current.Current.Key);
        Assert.Equal(after.Revision, watch.Current.Revision);
    }

    private static async Task<WriteResult> CreateWhenReachableAsync(EtcdStore store, string key, CancellationToken cancellationToken)
    {
        // The client's first call after the restart may still go to the dead connection; a retry gets a fresh one.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await store.CreateAsync(key, Encoding.UTF8.GetBytes("2"), null, cancellationToken);
            }
            catch (StoreException) when (attempt < 20)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System, cancellationToken);
            }
        }
    }
}
