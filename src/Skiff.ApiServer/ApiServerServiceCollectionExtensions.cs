using k8s.Models;
using Prometheus;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Authorization;
using Skiff.ApiServer.CustomResources;
using Skiff.ApiServer.Endpoints;
using Skiff.ApiServer.Instrumentation;
using Skiff.ApiServer.OpenApi;
using Skiff.ApiServer.Patching;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.Registry.Strategies;
using Skiff.ApiServer.Tables;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Store;

namespace Skiff.ApiServer;

/// <summary>Composition of the Kubernetes REST API: <c>AddSkiffApiServer</c> registers it, <c>MapSkiffApi</c> routes it.</summary>
public static class ApiServerServiceCollectionExtensions
{
    // The store as AddSkiffStore registered it, before the API server wraps it to time its calls.
    internal const string UninstrumentedStoreKey = "Skiff.ApiServer:uninstrumented-store";

    /// <summary>Registers the API server on top of an <see cref="Skiff.Store.IRevisionedStore"/> (see AddSkiffStore).</summary>
    public static IServiceCollection AddSkiffApiServer(this IServiceCollection services, Action<ApiServerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ApiServerOptions>().Configure(configure);
        services.TryAddSingleton(TimeProvider.System);
        // Extensible: the CRD controller adds and removes custom resources while the server runs.
        services.TryAddSingleton(_ => ResourceCatalog.CreateExtensible());
        // One registry instance per host (no prometheus-net static default registry); the process metrics live there too.
        services.TryAddSingleton(_ =>
        {
            CollectorRegistry registry = Prometheus.Metrics.NewCustomRegistry();
            DotNetStats.Register(registry);
            return registry;
        });
        services.TryAddSingleton<ApiServerMetrics>();
        services.TryAddSingleton<MetricsEndpoint>();
        services.TryAddSingleton<Encryption.EncryptionAtRest>();
        InstrumentStore(services);
        services.TryAddSingleton<DiscoveryDocuments>();
        services.TryAddSingleton(sp => new TablePrinters(sp.GetRequiredService<ServedCustomResources>().PrinterFor));
        services.TryAddSingleton(sp => new OpenApiDocuments(
            sp.GetRequiredService<ResourceCatalog>(),
            ModelDocumentation.NextToAssembly(typeof(V1Pod).Assembly),
            (type, field) => PatchMetadata.For(type, field) is { } hint ? (hint.Strategy, hint.MergeKey) : null));
        services.TryAddSingleton<ServedCustomResources>();
        services.TryAddSingleton<CustomResourceOpenApi>();
        services.TryAddSingleton(sp => new ResourceStrategies(Strategies(), new CustomResourceStrategy(sp.GetRequiredService<ServedCustomResources>())));
        services.TryAddSingleton<ObjectRegistry>();
        services.TryAddSingleton<Conversion.VersionConversion>();
        services.TryAddSingleton<ApiWatchCache>();
        services.TryAddSingleton<CacheOrStore>();
        services.AddHostedService(sp => sp.GetRequiredService<ApiWatchCache>());
        services.TryAddSingleton<ServiceAccountTokens>();
        services.AddSingleton<ITokenAuthenticator>(sp => sp.GetRequiredService<ServiceAccountTokens>());
        services.TryAddSingleton<RequestAuthenticator>();
        // Authorizers in order (the first Allow or Deny decides) and admission plugins in order (mutating, then validating).
        // Upstream's order: system:masters, then Node, then RBAC.
        services.AddSingleton<IAuthorizer, PrivilegedGroupAuthorizer>();
        services.AddSingleton<IAuthorizer, NodeAuthorizer>();
        services.TryAddSingleton<RbacAuthorizer>();
        services.AddSingleton<IAuthorizer>(sp => sp.GetRequiredService<RbacAuthorizer>());
        services.TryAddSingleton<PolicyBootstrap>();
        services.AddHostedService<ClusterRoleAggregator>();
        services.TryAddSingleton<AuthorizerChain>();
        AddAdmissionPlugins(services);
        services.TryAddSingleton<Admission.AdmissionChain>();
        services.TryAddSingleton<KubeletProxy>();
        services.TryAddSingleton<Audit.AuditLogWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<Audit.AuditLogWriter>());
        services.TryAddSingleton<Audit.AuditRecorder>();
        services.TryAddSingleton<ApiHandler>();
        services.AddHostedService<ClusterBootstrap>();
        services.TryAddSingleton<Encryption.EncryptionRewriteService>();
        services.AddHostedService(sp => sp.GetRequiredService<Encryption.EncryptionRewriteService>());
        services.AddHostedService<CustomResourceDefinitionController>();
        return services;
    }

    /// <summary>Routes <c>/api</c>, <c>/apis</c>, <c>/openapi</c> and <c>/metrics</c> to the API server.</summary>
    public static IEndpointRouteBuilder MapSkiffApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ApiHandler handler = endpoints.ServiceProvider.GetRequiredService<ApiHandler>();
        foreach (string pattern in new[] { "/api", "/api/{**rest}", "/apis", "/apis/{**rest}" })
        {
            endpoints.Map(pattern, handler.HandleAsync);
        }

        endpoints.Map("/openapi/{**rest}", handler.HandleOpenApiAsync);
        endpoints.MapGet(MetricsEndpoint.Path, endpoints.ServiceProvider.GetRequiredService<MetricsEndpoint>().HandleAsync);
        return endpoints;
    }

    /// <summary>
    /// Blocks until the watch cache holds the store's content and the bootstrap objects (with the default RBAC policy) exist,
    /// as upstream's readiness waits for its rbac/bootstrap-roles hook: components started after this find their roles.
    /// </summary>
    public static async Task WaitForApiReadyAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await services.GetRequiredService<ApiWatchCache>().Ready.WaitAsync(cancellationToken);
        foreach (ClusterBootstrap bootstrap in services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<ClusterBootstrap>())
        {
            await bootstrap.Done.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Replaces the store registration with a wrapper that times each call (<c>etcd_request_duration_seconds</c>) and changes
    /// nothing else. The original registration moves under a key, so the container still creates and disposes that store.
    /// With an EncryptionConfiguration, the timed store is the encrypting one, so every reader and writer passes through it.
    /// </summary>
    private static void InstrumentStore(IServiceCollection services)
    {
        if (services.Any(d => d.IsKeyedService && Equals(d.ServiceKey, UninstrumentedStoreKey)))
        {
            return;
        }

        ServiceDescriptor store = services.LastOrDefault(d => d.ServiceType == typeof(IRevisionedStore) && !d.IsKeyedService)
            ?? throw new InvalidOperationException("AddSkiffStore must be called before AddSkiffApiServer: the API server writes through that store.");
        services.Remove(store);
        ServiceDescriptor moved = store switch
        {
            { ImplementationInstance: IRevisionedStore instance } => new ServiceDescriptor(typeof(IRevisionedStore), UninstrumentedStoreKey, instance),
            { ImplementationFactory: { } factory } => new ServiceDescriptor(typeof(IRevisionedStore), UninstrumentedStoreKey, (sp, _) => factory(sp), store.Lifetime),
            // A non-keyed descriptor with neither an instance nor a factory always has an implementation type.
            _ => new ServiceDescriptor(typeof(IRevisionedStore), UninstrumentedStoreKey, store.ImplementationType!, store.Lifetime),
        };
        services.Add(moved);
        services.Add(new ServiceDescriptor(
            typeof(IRevisionedStore),
            sp => new InstrumentedStore(
                Encryption.EncryptingStore.Over(sp.GetRequiredKeyedService<IRevisionedStore>(UninstrumentedStoreKey), sp),
                sp.GetRequiredService<ApiServerMetrics>(),
                sp.GetRequiredService<ResourceCatalog>()),
            store.Lifetime));
    }

    /// <summary>
    /// The admission plugins, in upstream's order: NamespaceLifecycle, LimitRanger, ServiceAccount, NodeRestriction,
    /// PodSecurity, Priority, DefaultTolerationSeconds, MutatingAdmissionWebhook, ValidatingAdmissionWebhook, ResourceQuota
    /// (the chain runs the mutating ones in this order, then the validating ones in this order).
    /// </summary>
    private static void AddAdmissionPlugins(IServiceCollection services)
    {
        services.AddSingleton<Admission.IAdmissionPlugin, Admission.NamespaceLifecycleAdmission>();
        services.AddSingleton<Admission.IAdmissionPlugin, Admission.LimitRangerAdmission>();
        services.AddSingleton<Admission.IAdmissionPlugin, Admission.ServiceAccountAdmission>();
        services.AddSingleton<Admission.IAdmissionPlugin, Admission.NodeRestrictionAdmission>();
        services.AddSingleton<Admission.IAdmissionPlugin, Admission.PodSecurityAdmission>();
        services.AddSingleton<Admission.IAdmissionPlugin, Admission.PriorityAdmission>();
        services.AddSingleton<Admission.IAdmissionPlugin, Admission.DefaultTolerationSecondsAdmission>();
        AddWebhookMachinery(services);
        services.AddSingleton<Admission.IAdmissionPlugin, Admission.Webhooks.MutatingAdmissionWebhook>();
        services.AddSingleton<Admission.IAdmissionPlugin, Admission.Webhooks.ValidatingAdmissionWebhook>();
        services.AddSingleton<Admission.IAdmissionPlugin, RbacEscalationAdmission>();
        services.AddSingleton<Admission.IAdmissionPlugin, Admission.ResourceQuotaAdmission>();
    }

    /// <summary>What both admission webhook plugins share: the compiled configurations, matching, service routing and the HTTPS client.</summary>
    private static void AddWebhookMachinery(IServiceCollection services)
    {
        services.TryAddSingleton<Admission.Webhooks.WebhookConfigurations>();
        services.TryAddSingleton<Admission.Webhooks.WebhookMatcher>();
        services.TryAddSingleton<Admission.Webhooks.ServiceEndpointResolver>();
        services.TryAddSingleton<Admission.Webhooks.WebhookClient>();
        services.TryAddSingleton<Admission.Webhooks.WebhookDispatcher>();
    }

    private static IEnumerable<KeyValuePair<string, ResourceStrategy>> Strategies()
    {
        yield return new("/Pod", new PodStrategy());
        yield return new("/Namespace", new NamespaceStrategy());
        yield return new("/Service", new ServiceStrategy());
        yield return new("/ServiceAccount", new ReturnDeletedObjectStrategy());
        yield return new("storage.k8s.io/StorageClass", new ReturnDeletedObjectStrategy());
        yield return new("scheduling.k8s.io/PriorityClass", new PriorityClassStrategy());
        yield return new("/Secret", new SecretStrategy());
        yield return new("admissionregistration.k8s.io/MutatingWebhookConfiguration", new WebhookConfigurationStrategy());
        yield return new("admissionregistration.k8s.io/ValidatingWebhookConfiguration", new WebhookConfigurationStrategy());
        yield return new("/Event", new EventStrategy());
        yield return new("apiextensions.k8s.io/CustomResourceDefinition", new CustomResourceDefinitionStrategy());
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
