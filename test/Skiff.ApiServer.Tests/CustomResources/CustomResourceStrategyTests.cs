using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.CustomResources;
using Skiff.ApiServer.Tests.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.CustomResources;

public sealed class CustomResourceStrategyTests : IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();
    private ResourceInfo _v1 = null!;
    private ResourceInfo _v1beta1 = null!;

    private async Task InitializeAsync()
    {
        await _harness.Provider.GetRequiredService<ServedCustomResources>().ServeAsync(CrdFixtures.CronTab(), CancellationToken.None);
        _v1 = _harness.Resource("stable.example.com", "v1", "crontabs");
        _v1beta1 = _harness.Resource("stable.example.com", "v1beta1", "crontabs");
        await _harness.CreateNamespaceAsync("default");
    }

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task CreateAsync_ObjectWithUnknownFieldsAndStatus_KeepsEveryFieldDropsStatusAndStartsAtGeneration1()
    {
        await InitializeAsync();
        JsonObject body = CrdFixtures.Object("tab", extra: ""","extra":{"nested":[1,2.50,"three"]}""");
        body["status"] = new JsonObject { ["replicas"] = 5 };

        JsonObject created = await _harness.Registry.CreateAsync(_v1, "default", body, RegistryHarness.Write(), CancellationToken.None);

        Assert.Equal("""{"nested":[1,2.50,"three"]}""", created["spec"]!["extra"]!.ToJsonString());
        Assert.Null(created["status"]);
        Assert.Equal(1, (long?)created["metadata"]!["generation"]);
        Assert.False(string.IsNullOrEmpty((string?)created["metadata"]!["uid"]));
    }

    [Fact]
    public async Task CreateAsync_ThroughTheNonStorageVersion_StoresTheStorageVersion()
    {
        await InitializeAsync();
        JsonObject created = await _harness.Registry.CreateAsync(_v1beta1, "default", CrdFixtures.Object("tab", "stable.example.com/v1beta1"), RegistryHarness.Write(), CancellationToken.None);

        JsonObject stored = await _harness.GetAsync(_v1, "default", "tab");
        Assert.Equal("stable.example.com/v1", (string?)created["apiVersion"]);
        Assert.Equal("stable.example.com/v1", (string?)stored["apiVersion"]);
        Assert.Equal("my-cron-image", (string?)stored["spec"]!["image"]);
    }

    [Fact]
    public async Task CreateAsync_ApiVersionOfAnotherVersion_IsRefused()
    {
        await InitializeAsync();
        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.Registry.CreateAsync(_v1beta1, "default", CrdFixtures.Object("tab"), RegistryHarness.Write(), CancellationToken.None));

        Assert.Equal(400, error.Code);
    }

    [Fact]
    public async Task UpdateAsync_SpecChange_BumpsGenerationAndIgnoresStatus()
    {
        await InitializeAsync();
        await _harness.CreateAsync(_v1, "default", CrdFixtures.Object("tab").ToJsonString());
        JsonObject changed = CrdFixtures.Object("tab");
        changed["spec"]!["image"] = "other";
        changed["status"] = new JsonObject { ["replicas"] = 7 };

        JsonObject updated = await _harness.ReplaceAsync(_v1, "default", "tab", changed);

        Assert.Equal(2, (long?)updated["metadata"]!["generation"]);
        Assert.Equal("other", (string?)updated["spec"]!["image"]);
        Assert.Null(updated["status"]);
    }

    [Fact]
    public async Task UpdateAsync_StatusSubresource_ChangesOnlyStatusAndKeepsGeneration()
    {
        await InitializeAsync();
        await _harness.CreateAsync(_v1, "default", CrdFixtures.Object("tab").ToJsonString());
        JsonObject changed = CrdFixtures.Object("tab");
        changed["spec"]!["image"] = "ignored";
        changed["status"] = new JsonObject { ["replicas"] = 2 };

        JsonObject updated = await _harness.ReplaceAsync(_v1, "default", "tab", changed, subresource: "status");

        Assert.Equal(1, (long?)updated["metadata"]!["generation"]);
        Assert.Equal("my-cron-image", (string?)updated["spec"]!["image"]);
        Assert.Equal(2, (int?)updated["status"]!["replicas"]);
    }

    [Fact]
    public async Task UpdateAsync_WithoutStatusSubresource_StatusChangeBumpsGeneration()
    {
        await InitializeAsync();
        await using var harness = new RegistryHarness();
        var crd = CrdFixtures.CronTab();
        foreach (var version in crd.Spec.Versions)
        {
            version.Subresources = null;
        }

        await harness.Provider.GetRequiredService<ServedCustomResources>().ServeAsync(crd, CancellationToken.None);
        await harness.CreateNamespaceAsync("default");
        ResourceInfo v1 = harness.Resource("stable.example.com", "v1", "crontabs");
        await harness.CreateAsync(v1, "default", CrdFixtures.Object("tab").ToJsonString());
        JsonObject changed = CrdFixtures.Object("tab");
        changed["status"] = new JsonObject { ["replicas"] = 2 };

        JsonObject updated = await harness.ReplaceAsync(v1, "default", "tab", changed);

        Assert.Equal(2, (int?)updated["status"]!["replicas"]);
        Assert.Equal(2, (long?)updated["metadata"]!["generation"]);
        Assert.False(v1.HasSubresource("status"));
    }

    [Fact]
    public async Task CreateAsync_ClusterScopedWithANamespace_StoresWithoutNamespace()
    {
        await InitializeAsync();
        await using var harness = new RegistryHarness();
        await harness.Provider.GetRequiredService<ServedCustomResources>().ServeAsync(CrdFixtures.CronTab("Cluster"), CancellationToken.None);
        ResourceInfo v1 = harness.Resource("stable.example.com", "v1", "crontabs");
        JsonObject body = CrdFixtures.Object("tab");
        body["metadata"]!["namespace"] = "default";

        JsonObject created = await harness.Registry.CreateAsync(v1, null, body, RegistryHarness.Write(), CancellationToken.None);

        Assert.False(v1.Namespaced);
        Assert.Null(created["metadata"]!["namespace"]);
        Assert.NotNull(await harness.GetAsync(v1, null, "tab"));
    }

    [Fact]
    public async Task CreateAsync_WhileTheCrdIsTerminating_Is405()
    {
        await InitializeAsync();
        await _harness.CreateAsync(_v1, "default", CrdFixtures.Object("before").ToJsonString());
        ServedCustomResources served = _harness.Provider.GetRequiredService<ServedCustomResources>();

        served.MarkTerminating(CrdFixtures.Name);
        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.Registry.CreateAsync(_v1, "default", CrdFixtures.Object("after"), RegistryHarness.Write(), CancellationToken.None));

        Assert.Equal(405, error.Code);
        Assert.Equal("create not allowed while custom resource definition is terminating", error.Message);
        Assert.NotNull(await _harness.GetAsync(_v1, "default", "before"));
    }
}
