using System.Text.Json.Nodes;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Registry;

public sealed class PriorityClassStrategyTests : IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    private ResourceInfo Classes => _harness.Resource("scheduling.k8s.io", "v1", "priorityclasses");

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task CreateAsync_NoPreemptionPolicy_DefaultsToPreemptLowerPriority()
    {
        JsonObject created = await _harness.CreateAsync(Classes, null, """{"metadata":{"name":"high"},"value":1000}""");

        Assert.Equal("PreemptLowerPriority", created["preemptionPolicy"]!.GetValue<string>());
        Assert.Equal(1000, created["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task CreateAsync_NoValue_IsStoredAsZeroAsUpstreamInt32()
    {
        JsonObject created = await _harness.CreateAsync(Classes, null, """{"metadata":{"name":"zero"}}""");

        Assert.Equal(0, created["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task CreateAsync_UserValueAboveOneBillion_IsInvalid()
    {
        await _harness.CreateAsync(Classes, null, """{"metadata":{"name":"at-limit"},"value":1000000000}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.CreateAsync(Classes, null, """{"metadata":{"name":"too-high"},"value":1000000001}"""));

        Assert.Equal(422, error.Code);
        Assert.Equal(
            "PriorityClass.scheduling.k8s.io \"too-high\" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000",
            error.Message);
    }

    [Fact]
    public async Task CreateAsync_SystemPrefixForUnknownName_IsReserved()
    {
        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.CreateAsync(Classes, null, """{"metadata":{"name":"system-mine"},"value":5}"""));

        Assert.Equal(422, error.Code);
        Assert.Equal(
            "PriorityClass.scheduling.k8s.io \"system-mine\" is invalid: metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
            error.Message);
    }

    [Fact]
    public async Task CreateAsync_SystemNameWithWrongValue_IsReserved()
    {
        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.CreateAsync(Classes, null, """{"metadata":{"name":"system-node-critical"},"value":7}"""));

        Assert.Contains("error: value of system-node-critical PriorityClass must be 2000001000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_UnknownPreemptionPolicy_IsNotSupported()
    {
        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.CreateAsync(Classes, null, """{"metadata":{"name":"odd"},"value":1,"preemptionPolicy":"Sometimes"}"""));

        Assert.Equal(422, error.Code);
        Assert.Contains("preemptionPolicy: Unsupported value: \"Sometimes\": supported values: \"PreemptLowerPriority\", \"Never\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplaceAsync_ChangedValue_IsForbidden()
    {
        JsonObject created = await _harness.CreateAsync(Classes, null, """{"metadata":{"name":"high"},"value":1000}""");
        created["value"] = 2000;

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.ReplaceAsync(Classes, null, "high", created));

        Assert.Equal(422, error.Code);
        Assert.Equal("PriorityClass.scheduling.k8s.io \"high\" is invalid: value: Forbidden: may not be changed in an update.", error.Message);
    }

    [Fact]
    public async Task ReplaceAsync_ChangedPreemptionPolicy_IsImmutable()
    {
        JsonObject created = await _harness.CreateAsync(Classes, null, """{"metadata":{"name":"high"},"value":1000}""");
        created["preemptionPolicy"] = "Never";

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.ReplaceAsync(Classes, null, "high", created));

        Assert.Equal("PriorityClass.scheduling.k8s.io \"high\" is invalid: preemptionPolicy: Invalid value: \"Never\": field is immutable", error.Message);
    }

    [Fact]
    public async Task ReplaceAsync_DescriptionAndGlobalDefault_MayChange()
    {
        JsonObject created = await _harness.CreateAsync(Classes, null, """{"metadata":{"name":"high"},"value":1000}""");
        created["description"] = "batch jobs";
        created["globalDefault"] = true;

        JsonObject updated = await _harness.ReplaceAsync(Classes, null, "high", created);

        Assert.Equal("batch jobs", updated["description"]!.GetValue<string>());
        Assert.True(updated["globalDefault"]!.GetValue<bool>());
    }

    [Fact]
    public async Task CreateAsync_SecondGlobalDefault_IsForbidden()
    {
        await _harness.CreateAsync(Classes, null, """{"metadata":{"name":"first"},"value":10,"globalDefault":true}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.CreateAsync(Classes, null, """{"metadata":{"name":"second"},"value":20,"globalDefault":true}"""));

        Assert.Equal(403, error.Code);
        Assert.Equal("Forbidden", error.Reason);
        Assert.Equal(
            "priorityclasses.scheduling.k8s.io \"second\" is forbidden: PriorityClass first is already marked as default. Only one default can exist",
            error.Message);
        await Assert.ThrowsAsync<StatusException>(() => _harness.GetAsync(Classes, null, "second"));
    }

    [Fact]
    public async Task ReplaceAsync_MarkingSecondDefault_IsForbiddenButTheDefaultItselfMayBeUpdated()
    {
        JsonObject first = await _harness.CreateAsync(Classes, null, """{"metadata":{"name":"first"},"value":10,"globalDefault":true}""");
        JsonObject second = await _harness.CreateAsync(Classes, null, """{"metadata":{"name":"second"},"value":20}""");
        second["globalDefault"] = true;
        first["description"] = "still the default";

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.ReplaceAsync(Classes, null, "second", second));
        JsonObject updated = await _harness.ReplaceAsync(Classes, null, "first", first);

        Assert.Equal(403, error.Code);
        Assert.Contains("PriorityClass first is already marked as default", error.Message, StringComparison.Ordinal);
        Assert.Equal("still the default", updated["description"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("system-node-critical")]
    [InlineData("system-cluster-critical")]
    public void ValidateDelete_SystemClass_IsForbidden(string name)
    {
        StatusException error = Assert.Throws<StatusException>(() => _harness.Registry.ValidateDelete(Classes, name));

        Assert.Equal(403, error.Code);
        Assert.Equal($"priorityclasses.scheduling.k8s.io \"{name}\" is forbidden: this is a system priority class and cannot be deleted", error.Message);
    }

    [Fact]
    public async Task ValidateDelete_UserClass_IsAllowed()
    {
        await _harness.CreateAsync(Classes, null, """{"metadata":{"name":"high"},"value":1000}""");

        _harness.Registry.ValidateDelete(Classes, "high");
        (_, bool removed) = await _harness.Registry.DeleteAsync(Classes, null, "high", null, dryRun: false, CancellationToken.None);

        Assert.True(removed);
    }
}
