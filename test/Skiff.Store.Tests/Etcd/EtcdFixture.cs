using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Store.Etcd;
using Skiff.TestKit.Etcd;

namespace Skiff.Store.Tests.Etcd;

/// <summary>
/// One etcd for every etcd test in the run; each store gets its own key prefix so tests never see each other's keys.
/// </summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    private EtcdProcess? _etcd;

    public EtcdProcess Etcd => _etcd ?? throw new InvalidOperationException("etcd is started in InitializeAsync");

    public async Task InitializeAsync() => _etcd = await EtcdProcess.StartAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }

    /// <summary>A store over the shared etcd under a fresh prefix.</summary>
    public IRevisionedStore CreateStore() => CreateStore(NewPrefix());

    /// <summary>A store over the shared etcd under the given prefix, to share keys between two stores on purpose.</summary>
    public IRevisionedStore CreateStore(string prefix) =>
        EtcdStore.Create([Etcd.ClientUrl], prefix, NullLogger<EtcdStore>.Instance);

    public static string NewPrefix() => "/test-" + Guid.NewGuid().ToString("N");
}
