using Microsoft.Extensions.DependencyInjection;
using Skiff.Store;

namespace Skiff.Bench.Store;

/// <summary>
/// A store opened exactly as the product opens it (<c>AddSkiffStore</c>, then <see cref="IRevisionedStore"/> from the container),
/// so the benchmark goes through the public contract and the same composition; disposing it closes the store.
/// </summary>
internal sealed class StoreUnderTest : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private StoreUnderTest(string name, ServiceProvider services)
    {
        Name = name;
        _services = services;
        Store = services.GetRequiredService<IRevisionedStore>();
    }

    public string Name { get; }

    public IRevisionedStore Store { get; }

    /// <param name="name">How the report names this backend.</param>
    /// <param name="endpoint">A SQLite file path or <c>etcd://host:port</c>.</param>
    public static StoreUnderTest Open(string name, string endpoint)
    {
        var services = new ServiceCollection();
        services.AddLogging();

        // Compaction off: the history benchmark needs every revision kept, and a background compaction would add noise.
        services.AddSkiffStore(o =>
        {
            o.Endpoint = endpoint;
            o.CompactionInterval = TimeSpan.Zero;
        });
        return new StoreUnderTest(name, services.BuildServiceProvider());
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
