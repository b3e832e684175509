using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skiff.Store.Etcd;
using Skiff.Store.Memory;
using Skiff.Store.Sqlite;

namespace Skiff.Store;

/// <summary>Composition of the store: one <see cref="IRevisionedStore"/> and its compactor.</summary>
public static class StoreServiceCollectionExtensions
{
    /// <summary>Registers the store chosen by <see cref="StoreOptions.Endpoint"/> and the periodic compactor.</summary>
    public static IServiceCollection AddSkiffStore(this IServiceCollection services, Action<StoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<StoreOptions>()
            .Configure(configure)
            .Validate(ValidateEndpoint, "the datastore endpoint is not a SQLite path, sqlite://PATH, etcd://host:port[,...] or memory://")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(OpenStore);
        services.AddHostedService<StoreCompactor>();
        return services;
    }

    /// <summary>Opens the backend named by the options. Throws <see cref="StoreCorruptException"/> for a damaged or foreign file.</summary>
    internal static IRevisionedStore Open(StoreOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        StoreEndpoint endpoint = options.ParseEndpoint();
        return endpoint.Backend switch
        {
            StoreBackend.Sqlite => SqliteStore.Open(endpoint.SqlitePath!, timeProvider, loggerFactory.CreateLogger<SqliteStore>()),
            StoreBackend.Etcd => EtcdStore.Create(endpoint.EtcdEndpoints, options.EtcdPrefix, loggerFactory.CreateLogger<EtcdStore>()),
            _ => new MemoryStore(timeProvider),
        };
    }

    private static IRevisionedStore OpenStore(IServiceProvider services) =>
        Open(
            services.GetRequiredService<IOptions<StoreOptions>>().Value,
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILoggerFactory>());

    private static bool ValidateEndpoint(StoreOptions options)
    {
        try
        {
            options.ParseEndpoint();
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
