using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Tests.Registry;

public sealed class SecretStrategyTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    public async Task InitializeAsync() => await _harness.CreateNamespaceAsync("demo");

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task Create_StringData_IsWrittenIntoDataAndNotKept()
    {
        var secrets = _harness.Resource(string.Empty, "v1", "secrets");
        await _harness.CreateAsync(secrets, "demo", """
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},
             "data":{"user":"YWRtaW4=","password":"b2xk"},"stringData":{"password":"s3cret"}}
            """);

        JsonObject stored = await _harness.GetAsync(secrets, "demo", "db");
        Assert.Null(stored["stringData"]);
        Assert.Equal("YWRtaW4=", stored["data"]!["user"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String("s3cret"u8.ToArray()), stored["data"]!["password"]!.GetValue<string>());
        Assert.Equal("Opaque", stored["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Replace_StringData_OverwritesOneKey()
    {
        var secrets = _harness.Resource(string.Empty, "v1", "secrets");
        JsonObject created = await _harness.CreateAsync(secrets, "demo", """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"api"},"data":{"token":"b2xk"}}""");
        created["stringData"] = new JsonObject { ["token"] = "new" };

        JsonObject replaced = await _harness.ReplaceAsync(secrets, "demo", "api", created);

        Assert.Null(replaced["stringData"]);
        Assert.Equal(Convert.ToBase64String("new"u8.ToArray()), replaced["data"]!["token"]!.GetValue<string>());
    }
}
