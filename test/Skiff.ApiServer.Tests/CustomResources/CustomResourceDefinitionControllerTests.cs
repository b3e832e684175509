using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Skiff.ApiServer.CustomResources;
using Skiff.ApiServer.Endpoints;
using Skiff.Machinery.Catalog;
using Skiff.ApiServer.Tests.Registry;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.CustomResources;

/// <summary>The CRD controller running as in the server (every hosted service started), driven through the registry.</summary>
public sealed class CustomResourceDefinitionControllerTests : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private readonly RegistryHarness _harness = new();
    private IHostedService[] _services = [];

    private ResourceInfo Crds => _harness.Resource("apiextensions.k8s.io", "v1", "customresourcedefinitions");

    private ApiWatchCache Cache => _harness.Provider.GetRequiredService<ApiWatchCache>();

    private async Task InitializeAsync()
    {
        _services = [.. _harness.Provider.GetServices<IHostedService>()];
        foreach (IHostedService service in _services)
        {
            await service.StartAsync(CancellationToken.None);
        }

        await Cache.Ready.WaitAsync(s_timeout);
        await WaitUntilAsync(async () => await TryGetAsync(_harness.Namespaces, null, "default") is not null);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (IHostedService service in _services.Reverse())
        {
            await service.StopAsync(CancellationToken.None);
        }

        await _harness.DisposeAsync();
    }

    [Fact]
    public async Task Create_Crd_ServesEveryVersionAndReportsEstablished()
    {
        await InitializeAsync();
        await _harness.Registry.CreateAsync(Crds, null, CrdFixtures.CronTabJson(), RegistryHarness.Write(), CancellationToken.None);

        JsonObject crd = await WaitForConditionAsync(CrdFixtures.Name, "Established", "True");

        Assert.NotNull(_harness.Catalog.Find("stable.example.com", "v1", "crontabs"));
        Assert.NotNull(_harness.Catalog.Find("stable.example.com", "v1beta1", "crontabs"));
        Assert.Equal("True", Condition(crd, "NamesAccepted")?["status"]?.GetValue<string>());
        Assert.Equal("NoConflicts", Condition(crd, "NamesAccepted")?["reason"]?.GetValue<string>());
        Assert.Equal("InitialNamesAccepted", Condition(crd, "Established")?["reason"]?.GetValue<string>());
        Assert.Equal("crontabs", (string?)crd["status"]!["acceptedNames"]!["plural"]);
        Assert.Equal("v1", (string?)crd["status"]!["storedVersions"]![0]);
        Assert.Equal("customresourcecleanup.apiextensions.k8s.io", (string?)crd["metadata"]!["finalizers"]![0]);
        string discovery = _harness.Provider.GetRequiredService<DiscoveryDocuments>().AggregatedGroups;
        Assert.Contains("\"resource\":\"crontabs\"", discovery, StringComparison.Ordinal);
        Assert.Contains("\"shortNames\":[\"ct\"]", discovery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_CrdWhoseKindIsTaken_ReportsKindConflictAndServesNothing()
    {
        await InitializeAsync();
        await _harness.Registry.CreateAsync(Crds, null, CrdFixtures.CronTabJson(), RegistryHarness.Write(), CancellationToken.None);
        await WaitForConditionAsync(CrdFixtures.Name, "Established", "True");
        JsonObject copy = CrdFixtures.CronTabJson();
        copy["metadata"]!["name"] = "crontabcopies.stable.example.com";
        copy["spec"]!["names"] = new JsonObject { ["plural"] = "crontabcopies", ["kind"] = "CronTab", ["listKind"] = "CronTabCopyList" };

        await _harness.Registry.CreateAsync(Crds, null, copy, RegistryHarness.Write(), CancellationToken.None);
        JsonObject crd = await WaitForConditionAsync("crontabcopies.stable.example.com", "NamesAccepted", "False");

        Assert.Equal("KindConflict", Condition(crd, "NamesAccepted")?["reason"]?.GetValue<string>());
        Assert.Equal("\"CronTab\" is already in use", Condition(crd, "NamesAccepted")?["message"]?.GetValue<string>());
        Assert.Equal("NotAccepted", Condition(crd, "Established")?["reason"]?.GetValue<string>());
        Assert.Null(_harness.Catalog.Find("stable.example.com", "v1", "crontabcopies"));
    }

    [Fact]
    public async Task Delete_CrdWithObjects_DeletesTheObjectsThenStopsServingThenGoes()
    {
        await InitializeAsync();
        await _harness.Registry.CreateAsync(Crds, null, CrdFixtures.CronTabJson(), RegistryHarness.Write(), CancellationToken.None);
        await WaitForConditionAsync(CrdFixtures.Name, "Established", "True");
        ResourceInfo crontabs = _harness.Resource("stable.example.com", "v1", "crontabs");
        await _harness.CreateNamespaceAsync("other");
        await _harness.Registry.CreateAsync(crontabs, "default", CrdFixtures.Object("a"), RegistryHarness.Write(), CancellationToken.None);
        await _harness.Registry.CreateAsync(crontabs, "other", CrdFixtures.Object("b"), RegistryHarness.Write(), CancellationToken.None);

        (JsonObject deleting, bool removed) = await _harness.Registry.DeleteAsync(Crds, null, CrdFixtures.Name, null, false, CancellationToken.None);
        await WaitUntilAsync(async () => await TryGetAsync(Crds, null, CrdFixtures.Name) is null);

        Assert.False(removed);
        Assert.NotNull(deleting["metadata"]!["deletionTimestamp"]);
        Assert.Null(_harness.Catalog.Find("stable.example.com", "v1", "crontabs"));
        Assert.Null(await TryGetAsync(crontabs, "default", "a"));
        Assert.Null(await TryGetAsync(crontabs, "other", "b"));
        Assert.DoesNotContain("crontabs", _harness.Provider.GetRequiredService<DiscoveryDocuments>().AggregatedGroups, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_CrdAgainAfterItsDeletion_ServesAndAcceptsNewObjects()
    {
        await InitializeAsync();
        await _harness.Registry.CreateAsync(Crds, null, CrdFixtures.CronTabJson(), RegistryHarness.Write(), CancellationToken.None);
        await WaitForConditionAsync(CrdFixtures.Name, "Established", "True");
        await _harness.Registry.CreateAsync(_harness.Resource("stable.example.com", "v1", "crontabs"), "default", CrdFixtures.Object("old"), RegistryHarness.Write(), CancellationToken.None);
        await _harness.Registry.DeleteAsync(Crds, null, CrdFixtures.Name, null, false, CancellationToken.None);
        await WaitUntilAsync(async () => await TryGetAsync(Crds, null, CrdFixtures.Name) is null);

        await _harness.Registry.CreateAsync(Crds, null, CrdFixtures.CronTabJson(), RegistryHarness.Write(), CancellationToken.None);
        await WaitUntilAsync(() => Task.FromResult(_harness.Catalog.Find("stable.example.com", "v1", "crontabs") is not null));
        ResourceInfo crontabs = _harness.Resource("stable.example.com", "v1", "crontabs");
        JsonObject created = await _harness.Registry.CreateAsync(crontabs, "default", CrdFixtures.Object("new"), RegistryHarness.Write(), CancellationToken.None);

        Assert.Equal("new", (string?)created["metadata"]!["name"]);
        Assert.Null(await TryGetAsync(crontabs, "default", "old"));
    }

    [Fact]
    public async Task WaitReconciledAsync_CrdBeingDeleted_ReturnsOnceTheControllerActs()
    {
        await InitializeAsync();
        await _harness.Registry.CreateAsync(Crds, null, CrdFixtures.CronTabJson(), RegistryHarness.Write(), CancellationToken.None);
        await WaitForConditionAsync(CrdFixtures.Name, "Established", "True");
        (JsonObject deleting, _) = await _harness.Registry.DeleteAsync(Crds, null, CrdFixtures.Name, null, false, CancellationToken.None);
        long revision = long.Parse((string)deleting["metadata"]!["resourceVersion"]!, System.Globalization.CultureInfo.InvariantCulture);

        // The bound is far beyond the test's patience: only the controller's signal can end the wait in time.
        Task wait = _harness.Provider.GetRequiredService<ServedCustomResources>()
            .WaitReconciledAsync(CrdFixtures.Name, revision, TimeSpan.FromMinutes(10), TimeProvider.System, CancellationToken.None);

        Assert.Same(wait, await Task.WhenAny(wait, Task.Delay(s_timeout)));
    }

    [Fact]
    public async Task WaitReconciledAsync_CustomResourcesDisabled_ReturnsAtOnce()
    {
        using var served = new ServedCustomResources(ResourceCatalog.BuiltIn, Cache);

        Task wait = served.WaitReconciledAsync(CrdFixtures.Name, 5, TimeSpan.FromMinutes(10), TimeProvider.System, CancellationToken.None);

        Assert.True(wait.IsCompletedSuccessfully);
        await wait;
    }

    private async Task<JsonObject> WaitForConditionAsync(string name, string type, string status)
    {
        JsonObject? found = null;
        await WaitUntilAsync(async () =>
        {
            found = await TryGetAsync(Crds, null, name);
            return found is not null && Condition(found, type)?["status"]?.GetValue<string>() == status;
        });
        return found!;
    }

    private static JsonNode? Condition(JsonObject crd, string type) =>
        crd["status"]?["conditions"]?.AsArray().FirstOrDefault(c => c?["type"]?.GetValue<string>() == type);

    private async Task<JsonObject?> TryGetAsync(ResourceInfo resource, string? ns, string name)
    {
        try
        {
            return await _harness.GetAsync(resource, ns, name);
        }
        catch (StatusException ex) when (ex.Code == 404)
        {
            return null;
        }
    }

    // Re-checks after every change the store commits (the controller's progress is all store writes), up to the timeout.
    private async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(s_timeout);
        while (true)
        {
            // The revision before the check: a write after it (which may make the condition true) ends the wait.
            long revision = await _harness.Store.GetCurrentRevisionAsync(timeout.Token);
            if (await condition())
            {
                return;
            }

            await Cache.WaitForRevisionAsync(revision + 1, timeout.Token);
        }
    }
}
