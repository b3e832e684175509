using System.Text.Json.Nodes;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Registry;

/// <summary>Pods with scheduling gates: upstream's SchedulingGated condition on create, and gates that may only be removed.</summary>
public sealed class PodSchedulingGatesTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    public async Task InitializeAsync() => await _harness.CreateNamespaceAsync("demo");

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task CreatePod_WithGates_IsPendingWithSchedulingGated()
    {
        JsonObject pod = await CreateGatedAsync("gated", "example.com/quota");

        JsonNode condition = pod["status"]!["conditions"]!.AsArray().Single()!;
        Assert.Equal(("PodScheduled", "False", "SchedulingGated"), (condition["type"]!.GetValue<string>(), condition["status"]!.GetValue<string>(), condition["reason"]!.GetValue<string>()));
        Assert.Equal("Scheduling is blocked due to non-empty scheduling gates", condition["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task UpdatePod_AddingAGate_IsForbidden_RemovingOneIsAllowed()
    {
        JsonObject pod = await CreateGatedAsync("gated", "a", "b");

        JsonObject added = pod.DeepClone().AsObject();
        added["spec"]!["schedulingGates"]!.AsArray().Add(new JsonObject { ["name"] = "c" });
        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.ReplaceAsync(_harness.Pods, "demo", "gated", added));
        Assert.Equal(422, error.Code);
        Assert.Contains("spec.schedulingGates: Forbidden: only deletion is allowed, but found new scheduling gate 'c'", error.Message, StringComparison.Ordinal);

        JsonObject removed = pod.DeepClone().AsObject();
        removed["spec"]!["schedulingGates"]!.AsArray().RemoveAt(0);
        JsonObject replaced = await _harness.ReplaceAsync(_harness.Pods, "demo", "gated", removed);
        Assert.Equal("b", replaced["spec"]!["schedulingGates"]![0]!["name"]!.GetValue<string>());
    }

    private Task<JsonObject> CreateGatedAsync(string name, params string[] gates)
    {
        var pod = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["schedulingGates"] = new JsonArray([.. gates.Select(g => (JsonNode)new JsonObject { ["name"] = g })]),
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "nginx" }),
            },
        };
        return _harness.CreateAsync(_harness.Pods, "demo", pod.ToJsonString());
    }
}
