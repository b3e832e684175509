using System.Net;
using System.Text.Json.Nodes;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Registry;

public sealed class ServiceAllocationTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    public async Task InitializeAsync() => await _harness.CreateNamespaceAsync("demo");

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task CreateAsync_FiftyConcurrentServices_GetDistinctClusterIPsInTheRange()
    {
        JsonObject[] created = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() =>
            _harness.CreateAsync(_harness.Services, "demo", $$$"""{"metadata":{"name":"svc-{{{i}}}"},"spec":{"ports":[{"port":80}]}}"""))));

        string[] addresses = [.. created.Select(ClusterIP)];
        Assert.Equal(50, addresses.Distinct(StringComparer.Ordinal).Count());
        IPNetwork range = IPNetwork.Parse("10.43.0.0/16");
        Assert.All(addresses, a => Assert.True(range.Contains(IPAddress.Parse(a)), $"{a} is outside {range}"));
    }

    [Fact]
    public async Task CreateAsync_ClusterIPHeldByAnotherService_IsRejected()
    {
        JsonObject first = await _harness.CreateAsync(_harness.Services, "demo", """{"metadata":{"name":"first"},"spec":{"ports":[{"port":80}]}}""");
        string held = ClusterIP(first);

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.CreateAsync(
            _harness.Services, "demo", $$$"""{"metadata":{"name":"second"},"spec":{"clusterIP":"{{{held}}}","ports":[{"port":80}]}}"""));

        Assert.Equal(422, error.Code);
        Assert.Contains("provided IP is already allocated", error.Status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_AfterOwnerDeleted_ClusterIPCanBeTakenAgain()
    {
        JsonObject first = await _harness.CreateAsync(_harness.Services, "demo", """{"metadata":{"name":"first"},"spec":{"ports":[{"port":80}]}}""");
        string held = ClusterIP(first);
        await _harness.Registry.DeleteAsync(_harness.Services, "demo", "first", null, dryRun: false, CancellationToken.None);

        JsonObject second = await _harness.CreateAsync(
            _harness.Services, "demo", $$$"""{"metadata":{"name":"second"},"spec":{"clusterIP":"{{{held}}}","ports":[{"port":80}]}}""");

        Assert.Equal(held, ClusterIP(second));
    }

    [Fact]
    public async Task CreateAsync_NodePortServices_GetDistinctPortsInTheRange()
    {
        JsonObject[] created = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() =>
            _harness.CreateAsync(_harness.Services, "demo", $$$"""{"metadata":{"name":"np-{{{i}}}"},"spec":{"type":"NodePort","ports":[{"name":"a","port":80},{"name":"b","port":81}]}}"""))));

        int[] ports = [.. created.SelectMany(s => s["spec"]!["ports"]!.AsArray()).Select(p => p!["nodePort"]!.GetValue<int>())];
        Assert.Equal(20, ports.Length);
        Assert.Equal(20, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 30000, 32767));
    }

    [Fact]
    public async Task CreateAsync_NodePortOutsideRange_IsRejected()
    {
        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.CreateAsync(
            _harness.Services, "demo", """{"metadata":{"name":"np"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":29999}]}}"""));

        Assert.Equal(422, error.Code);
        Assert.Contains("The range of valid ports is 30000-32767", error.Status.Message, StringComparison.Ordinal);
    }

    private static string ClusterIP(JsonObject service) => service["spec"]!["clusterIP"]!.GetValue<string>();
}
