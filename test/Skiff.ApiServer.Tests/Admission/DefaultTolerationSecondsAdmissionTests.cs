using System.Text.Json.Nodes;
using Skiff.ApiServer.Tests.Registry;

namespace Skiff.ApiServer.Tests.Admission;

public sealed class DefaultTolerationSecondsAdmissionTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    public async Task InitializeAsync() => await _harness.CreateNamespaceAsync("demo");

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task CreatePod_NoTolerations_GetsNotReadyAndUnreachableFor300Seconds()
    {
        JsonObject pod = await CreatePodAsync(string.Empty);

        JsonArray tolerations = pod["spec"]!["tolerations"]!.AsArray();
        Assert.Equal(2, tolerations.Count);
        Assert.True(JsonNode.DeepEquals(
            RegistryHarness.Json("""{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}"""),
            tolerations[0]));
        Assert.Equal("node.kubernetes.io/unreachable", tolerations[1]!["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_OwnNotReadyToleration_KeepsItAndAddsOnlyUnreachable()
    {
        JsonObject pod = await CreatePodAsync("""
            "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":10}],
            """);

        JsonArray tolerations = pod["spec"]!["tolerations"]!.AsArray();
        Assert.Equal(2, tolerations.Count);
        Assert.Equal(10, tolerations[0]!["tolerationSeconds"]!.GetValue<long>());
        Assert.Equal("node.kubernetes.io/unreachable", tolerations[1]!["key"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_TolerateEverything_GetsNoDefaults()
    {
        JsonObject pod = await CreatePodAsync("""
            "tolerations":[{"operator":"Exists"}],
            """);

        Assert.Single(pod["spec"]!["tolerations"]!.AsArray());
    }

    private Task<JsonObject> CreatePodAsync(string spec) =>
        _harness.CreateAsync(_harness.Pods, "demo", $$$"""{"metadata":{"name":"p"},"spec":{{{{spec}}}"containers":[{"name":"app","image":"nginx"}]}}""");
}
