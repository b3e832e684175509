using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Authorization;
using Skiff.ApiServer.Tests.Registry;
using Skiff.ApiServer.WatchCache;

namespace Skiff.ApiServer.Tests.Authorization;

/// <summary>
/// A <see cref="RegistryHarness"/> with the server's hosted services running (watch cache, bootstrap with the RBAC policy,
/// ClusterRole aggregation) and the authorizer chain as the server composes it.
/// </summary>
internal sealed class RbacHarness : IAsyncDisposable
{
    private IHostedService[] _services = [];

    public RegistryHarness Registry { get; } = new();

    public AuthorizerChain Chain => Registry.Provider.GetRequiredService<AuthorizerChain>();

    public ApiWatchCache Cache => Registry.Provider.GetRequiredService<ApiWatchCache>();

    public static UserInfo User(string name, params string[] groups) => new(name, [.. groups, "system:authenticated"]);

    public async Task StartAsync()
    {
        _services = [.. Registry.Provider.GetServices<IHostedService>()];
        foreach (IHostedService service in _services)
        {
            await service.StartAsync(CancellationToken.None);
        }

        await _services.OfType<ClusterBootstrap>().Single().Done.WaitAsync(TimeSpan.FromSeconds(30));
        await SyncAsync();
    }

    /// <summary>Waits until the watch cache (which the authorizers read) holds every write made so far.</summary>
    public Task SyncAsync() => Cache.SyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>Creates an object and waits until the cache (and so the authorizers) see it. An empty group is the core group.</summary>
    public async Task CreateAsync(string group, string plural, string? ns, string json)
    {
        await Registry.CreateAsync(Registry.Resource(group, "v1", plural), ns, json);
        await SyncAsync();
    }

    public Task CreateRbacAsync(string plural, string? ns, string json) => CreateAsync("rbac.authorization.k8s.io", plural, ns, json);

    public Task<(bool Allowed, string Reason)> AuthorizeAsync(UserInfo user, string verb, string group, string resource, string? ns, string? name = null, string? subresource = null) =>
        Chain.AuthorizeAsync(new AuthorizationAttributes(user, verb, group, resource, subresource, ns, name), CancellationToken.None).AsTask();

    public static JsonObject Json(string json) => RegistryHarness.Json(json);

    public async ValueTask DisposeAsync()
    {
        foreach (IHostedService service in _services.Reverse())
        {
            await service.StopAsync(CancellationToken.None);
        }

        await Registry.DisposeAsync();
    }
}
