using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Store;

namespace Skiff.ApiServer.Tests.Registry;

/// <summary>
/// An <see cref="ObjectRegistry"/> composed as the server composes it (AddSkiffStore with memory://, then AddSkiffApiServer),
/// with a fake clock. One per test.
/// </summary>
internal sealed class RegistryHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _provider;

    public RegistryHarness(Action<ApiServerOptions>? configure = null, Action<IServiceCollection>? register = null)
    {
        var services = new ServiceCollection();
        register?.Invoke(services);
        services.AddLogging();
        services.AddSingleton<TimeProvider>(Time);
        services.AddSkiffStore(o => o.Endpoint = "memory://");
        services.AddSkiffApiServer(configure ?? (_ => { }));
        _provider = services.BuildServiceProvider();
        Registry = _provider.GetRequiredService<ObjectRegistry>();
        Store = _provider.GetRequiredService<IRevisionedStore>();
        Catalog = _provider.GetRequiredService<ResourceCatalog>();
    }

    public FakeTimeProvider Time { get; } = new(Start.AddMilliseconds(700));

    public ObjectRegistry Registry { get; }

    public IRevisionedStore Store { get; }

    public ResourceCatalog Catalog { get; }

    public IServiceProvider Provider => _provider;

    public ResourceInfo Pods => Resource(string.Empty, "v1", "pods");

    public ResourceInfo Services => Resource(string.Empty, "v1", "services");

    public ResourceInfo ConfigMaps => Resource(string.Empty, "v1", "configmaps");

    public ResourceInfo Namespaces => Resource(string.Empty, "v1", "namespaces");

    public ResourceInfo Deployments => Resource("apps", "v1", "deployments");

    public static WriteRequest Write(bool dryRun = false) => new("registry-tests", FieldValidation.Strict, dryRun);

    public ResourceInfo Resource(string group, string version, string plural) =>
        Catalog.Find(group, version, plural) ?? throw new InvalidOperationException($"{plural} is not in the catalog");

    public Task<JsonObject> CreateNamespaceAsync(string name) =>
        Registry.CreateAsync(Namespaces, null, Json($$$"""{"metadata":{"name":"{{{name}}}"}}"""), Write(), CancellationToken.None);

    public Task<JsonObject> CreateAsync(ResourceInfo resource, string? ns, string json, bool dryRun = false) =>
        Registry.CreateAsync(resource, ns, Json(json), Write(dryRun), CancellationToken.None);

    /// <summary>PUT semantics: the body replaces the stored object.</summary>
    public async Task<JsonObject> ReplaceAsync(ResourceInfo resource, string? ns, string name, JsonObject body, string? subresource = null)
    {
        (JsonObject result, _) = await Registry.UpdateAsync(resource, ns, name, subresource, _ => body.DeepClone().AsObject(), Write(), false, CancellationToken.None);
        return result;
    }

    public Task<JsonObject> GetAsync(ResourceInfo resource, string? ns, string name) =>
        Registry.GetAsync(resource, ns, name, CancellationToken.None);

    public static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}
