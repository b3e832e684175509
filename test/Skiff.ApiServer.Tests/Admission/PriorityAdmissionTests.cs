using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Skiff.ApiServer.Tests.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Admission;

public sealed class PriorityAdmissionTests : IAsyncLifetime, IAsyncDisposable
{
    private const string Container = "\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]";

    private readonly RegistryHarness _harness = new();

    private ResourceInfo Classes => _harness.Resource("scheduling.k8s.io", "v1", "priorityclasses");

    public async Task InitializeAsync() => await _harness.CreateNamespaceAsync("demo");

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task CreatePod_NamedClass_GetsItsValueAndPreemptionPolicy()
    {
        await CreateClassAsync("""{"metadata":{"name":"batch"},"value":500,"preemptionPolicy":"Never"}""");

        JsonObject pod = await CreatePodAsync("job", "\"priorityClassName\":\"batch\",");

        Assert.Equal(500, pod["spec"]!["priority"]!.GetValue<int>());
        Assert.Equal("Never", pod["spec"]!["preemptionPolicy"]!.GetValue<string>());
        Assert.Equal("batch", pod["spec"]!["priorityClassName"]!.GetValue<string>());
        JsonObject stored = await _harness.GetAsync(_harness.Pods, "demo", "job");
        Assert.Equal(500, stored["spec"]!["priority"]!.GetValue<int>());
    }

    [Fact]
    public async Task CreatePod_UnknownClass_IsForbidden()
    {
        StatusException error = await Assert.ThrowsAsync<StatusException>(() => CreatePodAsync("x", "\"priorityClassName\":\"foo\","));

        Assert.Equal(403, error.Code);
        Assert.Equal("Forbidden", error.Reason);
        Assert.Equal("pods \"x\" is forbidden: no PriorityClass with name foo was found", error.Message);
        await Assert.ThrowsAsync<StatusException>(() => _harness.GetAsync(_harness.Pods, "demo", "x"));
    }

    [Fact]
    public async Task CreatePod_NoClassAndNoDefault_GetsZeroAndPreemptLowerPriority()
    {
        JsonObject pod = await CreatePodAsync("plain", string.Empty);

        Assert.Equal(0, pod["spec"]!["priority"]!.GetValue<int>());
        Assert.Equal("PreemptLowerPriority", pod["spec"]!["preemptionPolicy"]!.GetValue<string>());
        Assert.Null(pod["spec"]!["priorityClassName"]);
    }

    [Fact]
    public async Task CreatePod_NoClassWithGlobalDefault_GetsTheDefaultClassAndItsName()
    {
        await CreateClassAsync("""{"metadata":{"name":"normal"},"value":100,"globalDefault":true}""");
        await CreateClassAsync("""{"metadata":{"name":"other"},"value":900}""");

        JsonObject pod = await CreatePodAsync("plain", string.Empty);

        Assert.Equal(100, pod["spec"]!["priority"]!.GetValue<int>());
        Assert.Equal("normal", pod["spec"]!["priorityClassName"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_PriorityDifferentFromClass_IsForbidden()
    {
        await CreateClassAsync("""{"metadata":{"name":"batch"},"value":500}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            CreatePodAsync("job", "\"priorityClassName\":\"batch\",\"priority\":7,"));

        Assert.Equal(403, error.Code);
        Assert.Equal(
            "pods \"job\" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 500 from the given PriorityClass name",
            error.Message);
    }

    [Fact]
    public async Task CreatePod_PriorityWithoutClass_IsForbiddenUnlessZero()
    {
        JsonObject zero = await CreatePodAsync("zero", "\"priority\":0,");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => CreatePodAsync("high", "\"priority\":1000,"));

        Assert.Equal(0, zero["spec"]!["priority"]!.GetValue<int>());
        Assert.Contains("the integer value of priority (1000) must not be provided in pod spec; priority admission controller computed 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatePod_PriorityEqualToClass_IsAccepted()
    {
        await CreateClassAsync("""{"metadata":{"name":"batch"},"value":500}""");

        JsonObject pod = await CreatePodAsync("job", "\"priorityClassName\":\"batch\",\"priority\":500,");

        Assert.Equal(500, pod["spec"]!["priority"]!.GetValue<int>());
    }

    [Fact]
    public async Task CreatePod_PreemptionPolicyDifferentFromClass_IsForbidden()
    {
        await CreateClassAsync("""{"metadata":{"name":"batch"},"value":500}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            CreatePodAsync("job", "\"priorityClassName\":\"batch\",\"preemptionPolicy\":\"Never\","));

        Assert.Equal(403, error.Code);
        Assert.Equal(
            "pods \"job\" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name",
            error.Message);
    }

    [Fact]
    public async Task CreatePod_DryRunWithUnknownClass_IsForbiddenToo()
    {
        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.CreateAsync(_harness.Pods, "demo", Pod("x", "\"priorityClassName\":\"foo\","), dryRun: true));

        Assert.Equal(403, error.Code);
    }

    [Fact]
    public async Task ReplacePod_ChangedPriority_IsRefused()
    {
        await CreateClassAsync("""{"metadata":{"name":"batch"},"value":500}""");
        JsonObject pod = await CreatePodAsync("job", "\"priorityClassName\":\"batch\",");
        pod["spec"]!["priority"] = 600;

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.ReplaceAsync(_harness.Pods, "demo", "job", pod));

        Assert.Equal(422, error.Code);
        Assert.Contains("pod updates may not change fields", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplacePod_WithoutPriorityFields_KeepsTheAdmittedOnes()
    {
        await CreateClassAsync("""{"metadata":{"name":"batch"},"value":500}""");
        JsonObject pod = await CreatePodAsync("job", "\"priorityClassName\":\"batch\",");
        pod["spec"]!.AsObject().Remove("priority");
        pod["spec"]!.AsObject().Remove("preemptionPolicy");
        pod["metadata"]!["labels"] = new JsonObject { ["tier"] = "batch" };

        JsonObject updated = await _harness.ReplaceAsync(_harness.Pods, "demo", "job", pod);

        Assert.Equal(500, updated["spec"]!["priority"]!.GetValue<int>());
        Assert.Equal("PreemptLowerPriority", updated["spec"]!["preemptionPolicy"]!.GetValue<string>());
        Assert.Equal("batch", updated["metadata"]!["labels"]!["tier"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bootstrap_CreatesSystemClasses_AndPodsCanUseThem()
    {
        IHostedService[] services = [.. _harness.Provider.GetServices<IHostedService>()];
        foreach (IHostedService service in services)
        {
            await service.StartAsync(CancellationToken.None);
        }

        try
        {
            await services.OfType<ClusterBootstrap>().Single().Done.WaitAsync(TimeSpan.FromSeconds(30));

            JsonObject node = await _harness.GetAsync(Classes, null, "system-node-critical");
            JsonObject cluster = await _harness.GetAsync(Classes, null, "system-cluster-critical");
            JsonObject pod = await CreatePodAsync("dns", "\"priorityClassName\":\"system-cluster-critical\",");

            Assert.Equal(2000001000, node["value"]!.GetValue<int>());
            Assert.Equal("Used for system critical pods that must not be moved from their current node.", node["description"]!.GetValue<string>());
            Assert.Equal("PreemptLowerPriority", node["preemptionPolicy"]!.GetValue<string>());
            Assert.Equal(2000000000, cluster["value"]!.GetValue<int>());
            Assert.Equal("Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.", cluster["description"]!.GetValue<string>());
            Assert.Equal(2000000000, pod["spec"]!["priority"]!.GetValue<int>());
        }
        finally
        {
            foreach (IHostedService service in services.Reverse())
            {
                await service.StopAsync(CancellationToken.None);
            }
        }
    }

    private Task<JsonObject> CreateClassAsync(string json) => _harness.CreateAsync(Classes, null, json);

    private Task<JsonObject> CreatePodAsync(string name, string specFields) => _harness.CreateAsync(_harness.Pods, "demo", Pod(name, specFields));

    private static string Pod(string name, string specFields) =>
        "{\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{" + specFields + Container + "}}";
}
