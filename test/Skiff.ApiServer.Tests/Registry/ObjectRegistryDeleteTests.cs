using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Registry;

public sealed class ObjectRegistryDeleteTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    public async Task InitializeAsync() => await _harness.CreateNamespaceAsync("demo");

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task DeleteAsync_PodBoundToNode_SetsDeletionTimestampWithGracePeriod()
    {
        await _harness.CreateAsync(_harness.Pods, "demo", """
            {"metadata":{"name":"web"},"spec":{"nodeName":"node-1","terminationGracePeriodSeconds":45,"containers":[{"name":"c","image":"nginx:1.27"}]}}
            """);

        (JsonObject result, bool removed) = await _harness.Registry.DeleteAsync(_harness.Pods, "demo", "web", null, dryRun: false, CancellationToken.None);

        Assert.False(removed);
        JsonObject stored = await _harness.GetAsync(_harness.Pods, "demo", "web");
        Assert.Equal("2025-03-01T12:00:45Z", stored["metadata"]!["deletionTimestamp"]!.GetValue<string>());
        Assert.Equal(45, stored["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<long>());
        Assert.Equal(stored["metadata"]!["deletionTimestamp"]!.GetValue<string>(), result["metadata"]!["deletionTimestamp"]!.GetValue<string>());
    }

    [Fact]
    public async Task DeleteAsync_GracePeriodOption_OverridesPodSpec()
    {
        await _harness.CreateAsync(_harness.Pods, "demo", """
            {"metadata":{"name":"web"},"spec":{"nodeName":"node-1","containers":[{"name":"c","image":"nginx:1.27"}]}}
            """);

        await _harness.Registry.DeleteAsync(_harness.Pods, "demo", "web", new V1DeleteOptions { GracePeriodSeconds = 5 }, dryRun: false, CancellationToken.None);

        JsonObject stored = await _harness.GetAsync(_harness.Pods, "demo", "web");
        Assert.Equal(5, stored["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<long>());
    }

    [Fact]
    public async Task DeleteAsync_UnboundPod_RemovesAtOnce()
    {
        await _harness.CreateAsync(_harness.Pods, "demo", """{"metadata":{"name":"web"},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}""");

        (_, bool removed) = await _harness.Registry.DeleteAsync(_harness.Pods, "demo", "web", null, dryRun: false, CancellationToken.None);

        Assert.True(removed);
        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.GetAsync(_harness.Pods, "demo", "web"));
        Assert.Equal(404, error.Code);
    }

    [Fact]
    public async Task DeleteAsync_WithFinalizer_KeepsObjectUntilFinalizerRemoved()
    {
        await _harness.CreateAsync(_harness.ConfigMaps, "demo", """{"metadata":{"name":"guarded","finalizers":["example.com/cleanup"]}}""");

        (_, bool removed) = await _harness.Registry.DeleteAsync(_harness.ConfigMaps, "demo", "guarded", null, dryRun: false, CancellationToken.None);

        Assert.False(removed);
        JsonObject marked = await _harness.GetAsync(_harness.ConfigMaps, "demo", "guarded");
        Assert.NotNull(marked["metadata"]!["deletionTimestamp"]);

        marked["metadata"]!.AsObject().Remove("finalizers");
        await _harness.ReplaceAsync(_harness.ConfigMaps, "demo", "guarded", marked);

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.GetAsync(_harness.ConfigMaps, "demo", "guarded"));
        Assert.Equal(404, error.Code);
    }

    [Fact]
    public async Task DeleteAsync_ScheduledPodWithFinalizer_StaysThroughItsGracePeriodAfterTheFinalizerGoes_ThenGraceZeroRemovesIt()
    {
        await _harness.CreateAsync(_harness.Pods, "demo", """{"metadata":{"name":"graceful","finalizers":["batch.kubernetes.io/job-tracking"]},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"nginx:1.27"}]}}""");

        (_, bool removed) = await _harness.Registry.DeleteAsync(_harness.Pods, "demo", "graceful", null, dryRun: false, CancellationToken.None);
        Assert.False(removed);
        JsonObject marked = await _harness.GetAsync(_harness.Pods, "demo", "graceful");
        Assert.Equal(30, marked["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<long>());

        // The job controller drops its finalizer, then the kubelet writes status: the pod is still in its grace period.
        marked["metadata"]!.AsObject().Remove("finalizers");
        await _harness.ReplaceAsync(_harness.Pods, "demo", "graceful", marked);
        JsonObject stillThere = await _harness.GetAsync(_harness.Pods, "demo", "graceful");
        stillThere["status"] = new JsonObject { ["phase"] = "Running" };
        await _harness.ReplaceAsync(_harness.Pods, "demo", "graceful", stillThere, subresource: "status");
        Assert.NotNull((await _harness.GetAsync(_harness.Pods, "demo", "graceful"))["metadata"]!["deletionTimestamp"]);

        // The kubelet's final delete with grace 0 removes it.
        (_, removed) = await _harness.Registry.DeleteAsync(_harness.Pods, "demo", "graceful", new V1DeleteOptions { GracePeriodSeconds = 0 }, dryRun: false, CancellationToken.None);
        Assert.True(removed);
    }

    [Fact]
    public async Task DeleteAsync_DryRun_WritesNothing()
    {
        await _harness.CreateAsync(_harness.ConfigMaps, "demo", """{"metadata":{"name":"settings"}}""");
        long before = await _harness.Store.GetCurrentRevisionAsync(CancellationToken.None);

        await _harness.Registry.DeleteAsync(_harness.ConfigMaps, "demo", "settings", null, dryRun: true, CancellationToken.None);

        Assert.Equal(before, await _harness.Store.GetCurrentRevisionAsync(CancellationToken.None));
        JsonObject stored = await _harness.GetAsync(_harness.ConfigMaps, "demo", "settings");
        Assert.Null(stored["metadata"]!["deletionTimestamp"]);
    }
}
