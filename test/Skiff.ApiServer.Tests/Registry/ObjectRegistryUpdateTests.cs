using System.Text.Json.Nodes;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Registry;

public sealed class ObjectRegistryUpdateTests : IAsyncLifetime, IAsyncDisposable
{
    private const string Deployment = """
        {"metadata":{"name":"app"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"app"}},
         "template":{"metadata":{"labels":{"app":"app"}},"spec":{"containers":[{"name":"app","image":"nginx:1.27"}]}}}}
        """;

    private readonly RegistryHarness _harness = new();

    public async Task InitializeAsync() => await _harness.CreateNamespaceAsync("demo");

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task UpdateAsync_StaleResourceVersion_IsConflictWithUpstreamMessage()
    {
        JsonObject first = await _harness.CreateAsync(_harness.ConfigMaps, "demo", """{"metadata":{"name":"settings"},"data":{"a":"1"}}""");
        JsonObject stale = first.DeepClone().AsObject();
        first["data"]!["a"] = "2";
        await _harness.ReplaceAsync(_harness.ConfigMaps, "demo", "settings", first);

        stale["data"]!["a"] = "3";
        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.ReplaceAsync(_harness.ConfigMaps, "demo", "settings", stale));

        Assert.Equal(409, error.Code);
        Assert.Equal("Conflict", error.Reason);
        Assert.Equal(
            "Operation cannot be fulfilled on configmaps \"settings\": the object has been modified; please apply your changes to the latest version and try again",
            error.Status.Message);
        JsonObject stored = await _harness.GetAsync(_harness.ConfigMaps, "demo", "settings");
        Assert.Equal("2", stored["data"]!["a"]!.GetValue<string>());
    }

    [Fact]
    public async Task UpdateAsync_PatchRacingAnotherWrite_IsAppliedAgainOnTheNewObject()
    {
        await _harness.CreateAsync(_harness.ConfigMaps, "demo", """{"metadata":{"name":"racy"},"data":{"a":"1"}}""");
        int attempts = 0;

        // A patch is applied to the stored object, so it carries that object's resourceVersion; here another writer changes
        // the object between the read and the write of the first attempt.
        (JsonObject patched, _) = await _harness.Registry.UpdateAsync(
            _harness.ConfigMaps,
            "demo",
            "racy",
            null,
            current =>
            {
                if (attempts++ == 0)
                {
                    JsonObject other = current!.DeepClone().AsObject();
                    other["data"]!["a"] = "2";
                    Task.Run(() => _harness.ReplaceAsync(_harness.ConfigMaps, "demo", "racy", other)).GetAwaiter().GetResult();
                }

                current!["data"]!["b"] = "patched";
                return current;
            },
            RegistryHarness.Write(),
            createIfMissing: false,
            CancellationToken.None);

        Assert.Equal(2, attempts);
        Assert.Equal(("2", "patched"), (patched["data"]!["a"]!.GetValue<string>(), patched["data"]!["b"]!.GetValue<string>()));
    }

    [Fact]
    public async Task UpdateAsync_SpecChange_BumpsGeneration()
    {
        JsonObject created = await _harness.CreateAsync(_harness.Deployments, "demo", Deployment);
        Assert.Equal(1, created["metadata"]!["generation"]!.GetValue<long>());

        created["spec"]!["replicas"] = 3;
        JsonObject updated = await _harness.ReplaceAsync(_harness.Deployments, "demo", "app", created);

        Assert.Equal(2, updated["metadata"]!["generation"]!.GetValue<long>());
    }

    [Fact]
    public async Task UpdateAsync_MetadataOnlyChange_KeepsGeneration()
    {
        JsonObject created = await _harness.CreateAsync(_harness.Deployments, "demo", Deployment);

        created["metadata"]!["labels"] = new JsonObject { ["tier"] = "web" };
        JsonObject updated = await _harness.ReplaceAsync(_harness.Deployments, "demo", "app", created);

        Assert.Equal("web", updated["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.Equal(1, updated["metadata"]!["generation"]!.GetValue<long>());
    }

    [Fact]
    public async Task UpdateAsync_StatusOnlyChange_KeepsGeneration()
    {
        JsonObject created = await _harness.CreateAsync(_harness.Deployments, "demo", Deployment);

        created["status"] = new JsonObject { ["replicas"] = 1, ["observedGeneration"] = 1 };
        JsonObject updated = await _harness.ReplaceAsync(_harness.Deployments, "demo", "app", created, subresource: "status");

        Assert.Equal(1, updated["status"]!["replicas"]!.GetValue<int>());
        Assert.Equal(1, updated["metadata"]!["generation"]!.GetValue<long>());
    }

    [Fact]
    public async Task UpdateAsync_MainResourceWithStatus_KeepsStoredStatus()
    {
        JsonObject created = await _harness.CreateAsync(_harness.Pods, "demo", """{"metadata":{"name":"web"},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}""");
        string phase = created["status"]?["phase"]?.GetValue<string>() ?? string.Empty;

        created["metadata"]!["labels"] = new JsonObject { ["app"] = "web" };
        created["status"] = new JsonObject { ["phase"] = "Running", ["podIP"] = "10.42.0.9" };
        JsonObject updated = await _harness.ReplaceAsync(_harness.Pods, "demo", "web", created);

        Assert.Equal("web", updated["metadata"]!["labels"]!["app"]!.GetValue<string>());
        JsonObject stored = await _harness.GetAsync(_harness.Pods, "demo", "web");
        Assert.Equal(phase, stored["status"]?["phase"]?.GetValue<string>() ?? string.Empty);
        Assert.Null(stored["status"]?["podIP"]);
    }

    [Fact]
    public async Task UpdateAsync_StatusSubresource_ChangesOnlyStatus()
    {
        JsonObject created = await _harness.CreateAsync(_harness.Pods, "demo", """{"metadata":{"name":"web"},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}""");

        created["metadata"]!["labels"] = new JsonObject { ["app"] = "web" };
        created["spec"]!["containers"]![0]!["image"] = "nginx:1.28";
        created["status"] = new JsonObject { ["phase"] = "Running", ["podIP"] = "10.42.0.9" };
        await _harness.ReplaceAsync(_harness.Pods, "demo", "web", created, subresource: "status");

        JsonObject stored = await _harness.GetAsync(_harness.Pods, "demo", "web");
        Assert.Equal("Running", stored["status"]!["phase"]!.GetValue<string>());
        Assert.Equal("10.42.0.9", stored["status"]!["podIP"]!.GetValue<string>());
        Assert.Null(stored["metadata"]!["labels"]);
        Assert.Equal("nginx:1.27", stored["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
    }
}
