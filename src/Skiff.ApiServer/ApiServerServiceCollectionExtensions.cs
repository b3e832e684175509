using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Endpoints;
using Skiff.ApiServer.OpenApi;
using Skiff.ApiServer.Patching;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.Registry.Strategies;
using Skiff.ApiServer.Tables;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer;

/// <summary>Composition of the Kubernetes REST API: <c>AddSkiffApiServer</c> registers it, <c>MapSkiffApi</c> routes it.</summary>
public static class ApiServerServiceCollectionExtensions
{
    /// <summary>Registers the API server on top of an <see cref="Skiff.Store.IRevisionedStore"/> (see AddSkiffStore).</summary>
    public static IServiceCollection AddSkiffApiServer(this IServiceCollection services, Action<ApiServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ApiServerOptions>().Configure(configure);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(ResourceCatalog.BuiltIn);
        services.TryAddSingleton<DiscoveryDocuments>();
        services.TryAddSingleton<TablePrinters>();
        services.TryAddSingleton(sp => new OpenApiDocuments(
            sp.GetRequiredService<ResourceCatalog>(),
            ModelDocumentation.NextToAssembly(typeof(V1Pod).Assembly),
            (type, field) => PatchMetadata.For(type, field) is { } hint ? (hint.Strategy, hint.MergeKey) : null));
        services.TryAddSingleton(new ResourceStrategies(Strategies()));
        services.TryAddSingleton<ObjectRegistry>();
        services.TryAddSingleton<Conversion.VersionConversion>();
        services.TryAddSingleton<ApiWatchCache>();
        services.AddHostedService(sp => sp.GetRequiredService<ApiWatchCache>());
        services.TryAddSingleton<ServiceAccountTokens>();
        services.AddSingleton<ITokenAuthenticator>(sp => sp.GetRequiredService<ServiceAccountTokens>());
        services.TryAddSingleton<RequestAuthenticator>();
        services.TryAddSingleton<ApiHandler>();
        services.AddHostedService<ClusterBootstrap>();
        return services;
    }

    /// <summary>Routes <c>/api</c>, <c>/apis</c> and <c>/openapi</c> to the API server.</summary>
    public static IEndpointRouteBuilder MapSkiffApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ApiHandler handler = endpoints.ServiceProvider.GetRequiredService<ApiHandler>();
        foreach (string pattern in new[] { "/api", "/api/{**rest}", "/apis", "/apis/{**rest}" })
        {
            endpoints.Map(pattern, handler.HandleAsync);
        }

        endpoints.Map("/openapi/{**rest}", handler.HandleOpenApiAsync);
        return endpoints;
    }

    /// <summary>Blocks until the watch cache holds the store's content (the API's readiness).</summary>
    public static Task WaitForApiReadyAsync(this IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<ApiWatchCache>().Ready.WaitAsync(cancellationToken);

    private static IEnumerable<KeyValuePair<string, ResourceStrategy>> Strategies()
    {
        yield return new("/Pod", new PodStrategy());
        yield return new("/Namespace", new NamespaceStrategy());
        yield return new("/Service", new ServiceStrategy());
        yield return new("/Secret", new SecretStrategy());
        yield return new("/Event", new EventStrategy());
        yield return new("events.k8s.io/Event", new EventStrategy());
        foreach (string kind in new[] { "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding" })
        {
            yield return new($"rbac.authorization.k8s.io/{kind}", new PathNameStrategy());
        }

        foreach (KeyValuePair<string, ResourceStrategy> workload in WorkloadDefaults.Strategies())
        {
            yield return workload;
        }
    }
}
