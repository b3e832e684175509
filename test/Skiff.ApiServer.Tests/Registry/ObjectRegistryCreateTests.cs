using System.Text.Json.Nodes;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Registry;

public sealed class ObjectRegistryCreateTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    public async Task InitializeAsync() => await _harness.CreateNamespaceAsync("demo");

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task CreateAsync_NewObject_SetsUidCreationTimestampAndResourceVersion()
    {
        JsonObject created = await _harness.CreateAsync(_harness.ConfigMaps, "demo", """{"metadata":{"name":"settings"},"data":{"a":"1"}}""");

        JsonNode metadata = created["metadata"]!;
        Assert.True(Guid.TryParse(metadata["uid"]!.GetValue<string>(), out _));
        // metav1.Time is whole seconds: the fake clock's 700 ms are dropped.
        Assert.Equal("2025-03-01T12:00:00Z", metadata["creationTimestamp"]!.GetValue<string>());
        long revision = long.Parse(metadata["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(revision > 0);
        JsonObject stored = await _harness.GetAsync(_harness.ConfigMaps, "demo", "settings");
        Assert.Equal(metadata["uid"]!.GetValue<string>(), stored["metadata"]!["uid"]!.GetValue<string>());
        Assert.Equal(metadata["resourceVersion"]!.GetValue<string>(), stored["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateAsync_GenerateName_AppendsFiveCharacterSuffix()
    {
        JsonObject first = await _harness.CreateAsync(_harness.ConfigMaps, "demo", """{"metadata":{"generateName":"job-"}}""");
        JsonObject second = await _harness.CreateAsync(_harness.ConfigMaps, "demo", """{"metadata":{"generateName":"job-"}}""");

        string name = first["metadata"]!["name"]!.GetValue<string>();
        Assert.Matches("^job-[bcdfghjklmnpqrstvwxz2456789]{5}$", name);
        Assert.NotEqual(name, second["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("job-", first["metadata"]!["generateName"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateAsync_MissingNamespace_IsNotFound()
    {
        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.CreateAsync(_harness.ConfigMaps, "nowhere", """{"metadata":{"name":"settings"}}"""));

        Assert.Equal(404, error.Code);
        Assert.Equal("NotFound", error.Reason);
        Assert.Contains("namespaces \"nowhere\" not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_DryRun_WritesNothing()
    {
        long before = await _harness.Store.GetCurrentRevisionAsync(CancellationToken.None);

        JsonObject answer = await _harness.CreateAsync(_harness.ConfigMaps, "demo", """{"metadata":{"name":"ghost"}}""", dryRun: true);

        Assert.Equal("ghost", answer["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal(before, await _harness.Store.GetCurrentRevisionAsync(CancellationToken.None));
        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.GetAsync(_harness.ConfigMaps, "demo", "ghost"));
        Assert.Equal(404, error.Code);
    }

    [Fact]
    public async Task CreateAsync_DryRunService_AllocatesNoClusterIP()
    {
        long before = await _harness.Store.GetCurrentRevisionAsync(CancellationToken.None);

        await _harness.CreateAsync(_harness.Services, "demo", """{"metadata":{"name":"web"},"spec":{"type":"NodePort","ports":[{"port":80}]}}""", dryRun: true);

        Assert.Equal(before, await _harness.Store.GetCurrentRevisionAsync(CancellationToken.None));
    }

    [Fact]
    public async Task CreateAsync_Pod_GetsUpstreamDefaults()
    {
        JsonObject created = await _harness.CreateAsync(_harness.Pods, "demo", """
            {"metadata":{"name":"web"},"spec":{"containers":[
              {"name":"latest","image":"nginx:latest","resources":{"limits":{"cpu":"500m","memory":"128Mi"}}},
              {"name":"untagged","image":"nginx"},
              {"name":"pinned","image":"nginx:1.27","resources":{"limits":{"cpu":"1"},"requests":{"cpu":"250m"}}}]}}
            """);

        JsonNode spec = created["spec"]!;
        Assert.Equal("Always", spec["restartPolicy"]!.GetValue<string>());
        JsonArray containers = spec["containers"]!.AsArray();
        Assert.Equal("Always", containers[0]!["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal("Always", containers[1]!["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal("IfNotPresent", containers[2]!["imagePullPolicy"]!.GetValue<string>());
        Assert.Equal("500m", containers[0]!["resources"]!["requests"]!["cpu"]!.GetValue<string>());
        Assert.Equal("128Mi", containers[0]!["resources"]!["requests"]!["memory"]!.GetValue<string>());
        // An explicit request is kept; only missing requests come from the limits.
        Assert.Equal("250m", containers[2]!["resources"]!["requests"]!["cpu"]!.GetValue<string>());
    }
}
