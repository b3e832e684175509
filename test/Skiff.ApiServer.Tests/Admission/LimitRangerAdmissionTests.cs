using System.Text.Json.Nodes;
using Skiff.ApiServer.Tests.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Admission;

public sealed class LimitRangerAdmissionTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    private ResourceInfo LimitRanges => _harness.Resource(string.Empty, "v1", "limitranges");

    public async Task InitializeAsync() => await _harness.CreateNamespaceAsync("demo");

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task CreatePod_NoResources_GetsDefaultsAndTheAnnotation()
    {
        await CreateRangeAsync("""{"type":"Container","default":{"cpu":"500m","memory":"256Mi"},"defaultRequest":{"cpu":"100m","memory":"128Mi"}}""");

        JsonObject pod = await CreatePodAsync("web", """[{"name":"app","image":"nginx"}]""", """[{"name":"init","image":"busybox","resources":{"requests":{"cpu":"200m"}}}]""");

        JsonObject app = pod["spec"]!["containers"]![0]!["resources"]!.AsObject();
        Assert.Equal("100m", app["requests"]!["cpu"]!.GetValue<string>());
        Assert.Equal("128Mi", app["requests"]!["memory"]!.GetValue<string>());
        Assert.Equal("500m", app["limits"]!["cpu"]!.GetValue<string>());
        Assert.Equal("256Mi", app["limits"]!["memory"]!.GetValue<string>());
        JsonObject init = pod["spec"]!["initContainers"]![0]!["resources"]!.AsObject();
        Assert.Equal("200m", init["requests"]!["cpu"]!.GetValue<string>());
        Assert.Equal(
            "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app; memory request for init container init; cpu, memory limit for init container init",
            pod["metadata"]!["annotations"]!["kubernetes.io/limit-ranger"]!.GetValue<string>());
        Assert.Equal("Burstable", pod["status"]!["qosClass"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_LimitWithoutRequest_LimitBecomesTheRequestNotTheDefault()
    {
        await CreateRangeAsync("""{"type":"Container","defaultRequest":{"cpu":"100m"}}""");

        JsonObject pod = await CreatePodAsync("web", """[{"name":"app","image":"nginx","resources":{"limits":{"cpu":"1"}}}]""");

        Assert.Equal("1", pod["spec"]!["containers"]![0]!["resources"]!["requests"]!["cpu"]!.GetValue<string>());
        Assert.Null(pod["metadata"]!["annotations"]);
    }

    [Fact]
    public async Task CreatePod_OutsideMinAndMax_IsForbiddenListingEveryViolation()
    {
        await CreateRangeAsync("""{"type":"Container","min":{"cpu":"100m"},"max":{"memory":"1Gi"}}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            CreatePodAsync("x", """[{"name":"app","image":"nginx","resources":{"requests":{"cpu":"50m","memory":"64Mi"},"limits":{"memory":"2Gi"}}}]"""));

        Assert.Equal(403, error.Code);
        Assert.Equal("pods \"x\" is forbidden: [minimum cpu usage per Container is 100m, but request is 50m, maximum memory usage per Container is 1Gi, but limit is 2Gi]", error.Message);
        await Assert.ThrowsAsync<StatusException>(() => _harness.GetAsync(_harness.Pods, "demo", "x"));
    }

    [Fact]
    public async Task CreatePod_MaxWithoutLimitOrDefault_SaysNoLimitIsSpecified()
    {
        await CreateRangeAsync("""{"type":"Container","max":{"cpu":"1"}}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => CreatePodAsync("x", """[{"name":"app","image":"nginx"}]"""));

        Assert.Equal("pods \"x\" is forbidden: maximum cpu usage per Container is 1.  No limit is specified", error.Message);
    }

    [Fact]
    public async Task CreatePod_RatioAboveMax_IsForbiddenWithTheRatio()
    {
        await CreateRangeAsync("""{"type":"Container","maxLimitRequestRatio":{"memory":"2"}}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            CreatePodAsync("x", """[{"name":"app","image":"nginx","resources":{"requests":{"memory":"100Mi"},"limits":{"memory":"400Mi"}}}]"""));

        Assert.Equal("pods \"x\" is forbidden: memory max limit to request ratio per Container is 2, but provided ratio is 4.000000", error.Message);
    }

    [Fact]
    public async Task CreatePod_PodTypeMax_SumsTheContainers()
    {
        await CreateRangeAsync("""{"type":"Pod","max":{"cpu":"1"}}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => CreatePodAsync("x", """
            [{"name":"a","image":"nginx","resources":{"limits":{"cpu":"600m"}}},{"name":"b","image":"nginx","resources":{"limits":{"cpu":"600m"}}}]
            """));

        Assert.Equal("pods \"x\" is forbidden: maximum cpu usage per Pod is 1, but limit is 1200m", error.Message);
    }

    [Fact]
    public async Task CreateClaim_AboveMaxStorage_IsForbidden()
    {
        await CreateRangeAsync("""{"type":"PersistentVolumeClaim","max":{"storage":"1Gi"}}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.CreateAsync(
            _harness.Resource(string.Empty, "v1", "persistentvolumeclaims"),
            "demo",
            """{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"5Gi"}}}}"""));

        Assert.Equal("persistentvolumeclaims \"data\" is forbidden: maximum storage usage per PersistentVolumeClaim is 1Gi, but request is 5Gi", error.Message);
    }

    [Fact]
    public async Task CreatePod_OtherNamespacesRange_DoesNotApply()
    {
        await _harness.CreateNamespaceAsync("other");
        await _harness.CreateAsync(LimitRanges, "other", """{"metadata":{"name":"limits"},"spec":{"limits":[{"type":"Container","max":{"cpu":"1"}}]}}""");

        JsonObject pod = await CreatePodAsync("web", """[{"name":"app","image":"nginx"}]""");

        Assert.Null(pod["metadata"]!["annotations"]);
    }

    private Task<JsonObject> CreateRangeAsync(string item) =>
        _harness.CreateAsync(LimitRanges, "demo", $$$"""{"metadata":{"name":"limits"},"spec":{"limits":[{{{item}}}]}}""");

    private Task<JsonObject> CreatePodAsync(string name, string containers, string initContainers = "[]") =>
        _harness.CreateAsync(_harness.Pods, "demo", $$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"containers":{{{containers}}},"initContainers":{{{initContainers}}}}}""");
}
