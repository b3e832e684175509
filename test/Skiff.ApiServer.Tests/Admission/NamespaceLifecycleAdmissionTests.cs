using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.WatchCache;
using Skiff.ApiServer.Tests.Registry;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Admission;

public sealed class NamespaceLifecycleAdmissionTests : IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task Create_MissingNamespace_IsNotFoundNamingTheNamespace()
    {
        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.CreateAsync(_harness.ConfigMaps, "nowhere", """{"metadata":{"name":"c"}}"""));

        Assert.Equal(404, error.Code);
        Assert.Equal("namespaces \"nowhere\" not found", error.Message);
    }

    [Fact]
    public async Task Create_TerminatingNamespace_IsForbiddenWithTheTerminatingCause()
    {
        await _harness.CreateNamespaceAsync("leaving");
        await _harness.Registry.DeleteAsync(_harness.Namespaces, null, "leaving", null, false, CancellationToken.None);

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.CreateAsync(_harness.ConfigMaps, "leaving", """{"metadata":{"name":"late"}}"""));

        Assert.Equal(403, error.Code);
        Assert.Equal("configmaps \"late\" is forbidden: unable to create new content in namespace leaving because it is being terminated", error.Message);
        Assert.Equal("NamespaceTerminating", Assert.Single(error.Status.Details.Causes).Reason);
    }

    [Fact]
    public async Task Create_RightAfterTheNamespaceDelete_IsRefusedEvenWhileTheCacheLags()
    {
        await _harness.CreateNamespaceAsync("leaving");
        ApiWatchCache cache = _harness.Provider.GetRequiredService<ApiWatchCache>();
        await cache.StartAsync(CancellationToken.None);
        await cache.SyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        // The cache stops following the store: it keeps the namespace as it was before the delete, as a lagging cache would.
        await cache.StopAsync(CancellationToken.None);

        await _harness.Registry.DeleteAsync(_harness.Namespaces, null, "leaving", null, false, CancellationToken.None);

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.CreateAsync(_harness.ConfigMaps, "leaving", """{"metadata":{"name":"late"}}"""));
        Assert.Equal(403, error.Code);
        Assert.Equal("NamespaceTerminating", Assert.Single(error.Status.Details.Causes).Reason);
    }

    [Theory]
    [InlineData("default")]
    [InlineData("kube-system")]
    [InlineData("kube-public")]
    public async Task DeleteNamespace_Immortal_IsForbiddenAndStays(string name)
    {
        await _harness.CreateNamespaceAsync(name);

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.Registry.DeleteAsync(_harness.Namespaces, null, name, null, false, CancellationToken.None));

        Assert.Equal(403, error.Code);
        Assert.Equal($"namespaces \"{name}\" is forbidden: this namespace may not be deleted", error.Message);
        JsonObject stored = await _harness.GetAsync(_harness.Namespaces, null, name);
        Assert.Null(stored["metadata"]!["deletionTimestamp"]);
    }

    [Fact]
    public async Task DeleteNamespace_Ordinary_StartsTerminating()
    {
        await _harness.CreateNamespaceAsync("team");

        await _harness.Registry.DeleteAsync(_harness.Namespaces, null, "team", null, false, CancellationToken.None);

        JsonObject stored = await _harness.GetAsync(_harness.Namespaces, null, "team");
        Assert.Equal("Terminating", stored["status"]!["phase"]!.GetValue<string>());
    }
}
