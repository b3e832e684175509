using Skiff.ApiServer.Authentication;

namespace Skiff.ApiServer.Tests.Authorization;

public sealed class NodeAuthorizerTests : IAsyncLifetime, IAsyncDisposable
{
    private static readonly UserInfo s_nodeA = new("system:node:a", ["system:nodes", "system:authenticated"]);
    private static readonly UserInfo s_nodeB = new("system:node:b", ["system:nodes", "system:authenticated"]);

    private readonly RbacHarness _harness = new();

    public async Task InitializeAsync()
    {
        await _harness.StartAsync();
        await _harness.Registry.CreateNamespaceAsync("team");
        await _harness.CreateAsync("", "pods", "team", """
            {"metadata":{"name":"web"},"spec":{"nodeName":"a","serviceAccountName":"builder",
              "imagePullSecrets":[{"name":"registry"}],
              "volumes":[{"name":"conf","configMap":{"name":"settings"}},{"name":"data","persistentVolumeClaim":{"claimName":"data"}},
                         {"name":"both","projected":{"sources":[{"secret":{"name":"projected-secret"}}]}}],
              "containers":[{"name":"app","image":"busybox","env":[{"name":"P","valueFrom":{"secretKeyRef":{"name":"password","key":"p"}}}],
                             "envFrom":[{"configMapRef":{"name":"env-settings"}}]}]}}
            """);
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Theory]
    [InlineData("secrets", "password")]
    [InlineData("secrets", "registry")]
    [InlineData("secrets", "projected-secret")]
    [InlineData("configmaps", "settings")]
    [InlineData("configmaps", "env-settings")]
    [InlineData("persistentvolumeclaims", "data")]
    public async Task Authorize_ObjectReferencedByOwnPod_IsAllowedToThatNodeOnly(string resource, string name)
    {
        Assert.True((await _harness.AuthorizeAsync(s_nodeA, "get", "", resource, "team", name)).Allowed);

        (bool allowed, string reason) = await _harness.AuthorizeAsync(s_nodeB, "get", "", resource, "team", name);
        Assert.False(allowed);
        Assert.Equal("no relationship found between node 'b' and this object", reason);
    }

    [Fact]
    public async Task Authorize_UnreferencedSecret_IsRefused()
    {
        (bool allowed, string reason) = await _harness.AuthorizeAsync(s_nodeA, "get", "", "secrets", "team", "admin-password");

        Assert.False(allowed);
        Assert.Equal("no relationship found between node 'a' and this object", reason);
    }

    [Fact]
    public async Task Authorize_ListSecrets_IsRefusedEvenWithPodsOnTheNode()
    {
        (bool allowed, string reason) = await _harness.AuthorizeAsync(s_nodeA, "list", "", "secrets", "team");

        Assert.False(allowed);
        Assert.Equal("No Object name found", reason);
    }

    [Fact]
    public async Task Authorize_WriteSecret_IsRefused()
    {
        (bool allowed, string reason) = await _harness.AuthorizeAsync(s_nodeA, "update", "", "secrets", "team", "password");

        Assert.False(allowed);
        Assert.Equal("can only read resources of this type", reason);
    }

    [Fact]
    public async Task Authorize_TokenForOwnPodsServiceAccount_IsAllowed()
    {
        Assert.True((await _harness.AuthorizeAsync(s_nodeA, "create", "", "serviceaccounts", "team", "builder", "token")).Allowed);
        Assert.False((await _harness.AuthorizeAsync(s_nodeA, "create", "", "serviceaccounts", "team", "default", "token")).Allowed);
        Assert.False((await _harness.AuthorizeAsync(s_nodeB, "create", "", "serviceaccounts", "team", "builder", "token")).Allowed);
    }

    [Fact]
    public async Task Authorize_PersistentVolumeBoundToOwnPodsClaim_IsAllowed()
    {
        await _harness.CreateAsync("", "persistentvolumeclaims", "team", """
            {"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"volumeName":"pv-1","resources":{"requests":{"storage":"1Gi"}}}}
            """);

        Assert.True((await _harness.AuthorizeAsync(s_nodeA, "get", "", "persistentvolumes", null, "pv-1")).Allowed);
        Assert.False((await _harness.AuthorizeAsync(s_nodeB, "get", "", "persistentvolumes", null, "pv-1")).Allowed);
        Assert.False((await _harness.AuthorizeAsync(s_nodeA, "get", "", "persistentvolumes", null, "pv-2")).Allowed);
    }

    [Fact]
    public async Task Authorize_PodMovedAway_NoLongerGrantsItsSecret()
    {
        await _harness.Registry.Registry.DeleteAsync(_harness.Registry.Pods, "team", "web", new k8s.Models.V1DeleteOptions { GracePeriodSeconds = 0 }, dryRun: false, CancellationToken.None);
        await _harness.SyncAsync();

        Assert.False((await _harness.AuthorizeAsync(s_nodeA, "get", "", "secrets", "team", "password")).Allowed);
    }

    [Fact]
    public async Task Authorize_NodeThroughRbac_MayReadNodesAndServicesButNotSecretsOfOthers()
    {
        Assert.True((await _harness.AuthorizeAsync(s_nodeA, "list", "", "nodes", null)).Allowed);
        Assert.True((await _harness.AuthorizeAsync(s_nodeA, "watch", "", "services", null)).Allowed);
        Assert.True((await _harness.AuthorizeAsync(s_nodeA, "list", "discovery.k8s.io", "endpointslices", null)).Allowed);
        Assert.True((await _harness.AuthorizeAsync(s_nodeA, "patch", "", "pods", "team", "web", "status")).Allowed);
        Assert.True((await _harness.AuthorizeAsync(s_nodeA, "get", "", "configmaps", "kube-system", "skiff-cluster")).Allowed);
        Assert.False((await _harness.AuthorizeAsync(s_nodeA, "get", "", "configmaps", "kube-system", "other")).Allowed);
        Assert.False((await _harness.AuthorizeAsync(s_nodeA, "create", "apps", "deployments", "team")).Allowed);
    }
}
