using k8s.Models;
using Skiff.Machinery.Catalog;

namespace Skiff.Machinery.Tests.Catalog;

public sealed class ResourceCatalogTests
{
    [Fact]
    public void BuiltIn_Pods_HaveUpstreamShortNameCategoryAndModelTypes()
    {
        ResourceInfo pods = ResourceCatalog.BuiltIn.Find("", "v1", "pods")!;

        Assert.Equal("Pod", pods.Kind);
        Assert.True(pods.Namespaced);
        Assert.Equal(["po"], pods.ShortNames);
        Assert.Equal(["all"], pods.Categories);
        Assert.Equal(typeof(V1Pod), pods.ClrType);
        Assert.Equal(typeof(V1PodList), pods.ListClrType);
        Assert.True(pods.HasSubresource("status"));
    }

    [Fact]
    public void BuiltIn_EveryGroupTheApiServes_IsPresent()
    {
        string[] groups = [.. ResourceCatalog.BuiltIn.GroupVersions.Select(gv => gv.Group).Distinct()];

        Assert.Contains("", groups);
        foreach (string group in new[] { "apps", "batch", "autoscaling", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io", "scheduling.k8s.io", "node.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io", "certificates.k8s.io", "authentication.k8s.io", "authorization.k8s.io" })
        {
            Assert.Contains(group, groups);
        }
    }

    [Fact]
    public void BuiltIn_Autoscaling_PrefersV2()
    {
        var autoscaling = ResourceCatalog.BuiltIn.GroupVersions.Where(gv => gv.Group == "autoscaling").Select(gv => gv.Version).ToList();

        Assert.Equal(["v2", "v1"], autoscaling);
    }

    [Fact]
    public void FindKind_ClusterScopedKinds_AreNotNamespaced()
    {
        Assert.False(ResourceCatalog.BuiltIn.FindKind("", "v1", "Namespace")!.Namespaced);
        Assert.False(ResourceCatalog.BuiltIn.FindKind("rbac.authorization.k8s.io", "v1", "ClusterRole")!.Namespaced);
        Assert.True(ResourceCatalog.BuiltIn.FindKind("apps", "v1", "Deployment")!.Namespaced);
        Assert.Null(ResourceCatalog.BuiltIn.Find("", "v1", "nosuch"));
    }
}
