using System.Text.Json.Nodes;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.Tests.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Authorization;

public sealed class NodeRestrictionAdmissionTests : IAsyncLifetime, IAsyncDisposable
{
    private static readonly UserInfo s_nodeA = new("system:node:a", ["system:nodes", "system:authenticated"]);

    private readonly RegistryHarness _harness = new();

    private ResourceInfo Nodes => _harness.Resource("", "v1", "nodes");

    private ResourceInfo Leases => _harness.Resource("coordination.k8s.io", "v1", "leases");

    public async Task InitializeAsync()
    {
        await _harness.CreateNamespaceAsync("team");
        await _harness.CreateNamespaceAsync("kube-node-lease");
        await _harness.CreateAsync(_harness.Pods, "team", """{"metadata":{"name":"on-a"},"spec":{"nodeName":"a","containers":[{"name":"c","image":"busybox"}]}}""");
        await _harness.CreateAsync(_harness.Pods, "team", """{"metadata":{"name":"on-b"},"spec":{"nodeName":"b","containers":[{"name":"c","image":"busybox"}]}}""");
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    private static WriteRequest AsNodeA() => RegistryHarness.Write() with { User = s_nodeA };

    [Fact]
    public async Task Create_OwnNode_IsAdmitted()
    {
        JsonObject node = await _harness.Registry.CreateAsync(Nodes, null, RegistryHarness.Json("""{"metadata":{"name":"a"}}"""), AsNodeA(), CancellationToken.None);

        Assert.Equal("a", (string?)node["metadata"]!["name"]);
    }

    [Fact]
    public async Task Create_OtherNode_IsForbiddenWithUpstreamsMessage()
    {
        var error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.Registry.CreateAsync(Nodes, null, RegistryHarness.Json("""{"metadata":{"name":"b"}}"""), AsNodeA(), CancellationToken.None));

        Assert.Equal(403, error.Code);
        Assert.Equal("nodes \"b\" is forbidden: node \"a\" is not allowed to modify node \"b\"", error.Message);
        await Assert.ThrowsAsync<StatusException>(() => _harness.GetAsync(Nodes, null, "b"));
    }

    [Fact]
    public async Task Update_OtherNode_IsForbidden()
    {
        await _harness.CreateAsync(Nodes, null, """{"metadata":{"name":"b"}}""");

        var error = await Assert.ThrowsAsync<StatusException>(() => _harness.Registry.UpdateAsync(Nodes, null, "b", null, n =>
        {
            n!["metadata"]!["labels"] = new JsonObject { ["hijacked"] = "true" };
            return n;
        }, AsNodeA(), false, CancellationToken.None));

        Assert.Equal("nodes \"b\" is forbidden: node \"a\" is not allowed to modify node \"b\"", error.Message);
    }

    [Fact]
    public async Task UpdatePodStatus_OwnPodAdmitted_OtherNodesPodForbidden()
    {
        static JsonObject Running(JsonObject? pod)
        {
            pod!["status"] = new JsonObject { ["phase"] = "Running" };
            return pod;
        }

        (JsonObject own, _) = await _harness.Registry.UpdateAsync(_harness.Pods, "team", "on-a", "status", Running, AsNodeA(), false, CancellationToken.None);
        var error = await Assert.ThrowsAsync<StatusException>(() => _harness.Registry.UpdateAsync(_harness.Pods, "team", "on-b", "status", Running, AsNodeA(), false, CancellationToken.None));

        Assert.Equal("Running", (string?)own["status"]!["phase"]);
        Assert.Equal("pods \"on-b\" is forbidden: node \"a\" can only update pod status for pods with spec.nodeName set to itself", error.Message);
    }

    [Fact]
    public async Task DeletePod_OtherNodesPod_IsForbidden()
    {
        var error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.Registry.DeleteAsync(_harness.Pods, "team", "on-b", null, dryRun: false, CancellationToken.None, s_nodeA));

        Assert.Equal("pods \"on-b\" is forbidden: node \"a\" can only delete pods with spec.nodeName set to itself", error.Message);
        Assert.NotNull(await _harness.GetAsync(_harness.Pods, "team", "on-b"));
    }

    [Fact]
    public async Task CreatePod_NotAMirrorPod_IsForbidden()
    {
        var error = await Assert.ThrowsAsync<StatusException>(() => _harness.Registry.CreateAsync(_harness.Pods, "team",
            RegistryHarness.Json("""{"metadata":{"name":"sneaky"},"spec":{"nodeName":"a","containers":[{"name":"c","image":"busybox"}]}}"""), AsNodeA(), CancellationToken.None));

        Assert.Equal("pods \"sneaky\" is forbidden: pod does not have \"kubernetes.io/config.mirror\" annotation, node \"a\" can only create mirror pods", error.Message);
    }

    [Fact]
    public async Task CreateLease_OwnNameInNodeLeaseNamespace_AdmittedOtherwiseForbidden()
    {
        await _harness.Registry.CreateAsync(Leases, "kube-node-lease", RegistryHarness.Json("""{"metadata":{"name":"a"}}"""), AsNodeA(), CancellationToken.None);

        var other = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.Registry.CreateAsync(Leases, "kube-node-lease", RegistryHarness.Json("""{"metadata":{"name":"b"}}"""), AsNodeA(), CancellationToken.None));
        var elsewhere = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.Registry.CreateAsync(Leases, "team", RegistryHarness.Json("""{"metadata":{"name":"a"}}"""), AsNodeA(), CancellationToken.None));

        Assert.Equal("leases.coordination.k8s.io \"b\" is forbidden: can only access node lease with the same name as the requesting node", other.Message);
        Assert.Equal("leases.coordination.k8s.io \"a\" is forbidden: can only access leases in the \"kube-node-lease\" namespace", elsewhere.Message);
    }

    [Fact]
    public async Task Writes_ByOtherUsers_AreNotRestricted()
    {
        JsonObject node = await _harness.Registry.CreateAsync(Nodes, null, RegistryHarness.Json("""{"metadata":{"name":"z"}}"""),
            RegistryHarness.Write() with { User = new UserInfo("jane", ["system:authenticated"]) }, CancellationToken.None);

        Assert.Equal("z", (string?)node["metadata"]!["name"]);
    }
}
