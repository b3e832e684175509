using Skiff.Machinery.Catalog;

namespace Skiff.Machinery.Tests.Catalog;

public sealed class ResourceCatalogCustomResourceTests
{
    private static ResourceInfo Custom(string group, string version, string plural, string kind) =>
        new(group, version, kind, plural, kind.ToLowerInvariant(), true, ["get", "list"], [], [], [], typeof(CustomResource), typeof(CustomResourceList));

    [Fact]
    public void SetCustomResources_NewKind_IsFoundAndChangesTheGeneration()
    {
        ResourceCatalog catalog = ResourceCatalog.CreateExtensible();
        long before = catalog.Generation;

        catalog.SetCustomResources("crontabs.stable.example.com", [Custom("stable.example.com", "v1", "crontabs", "CronTab")]);

        Assert.True(catalog.Find("stable.example.com", "v1", "crontabs")!.IsCustom);
        Assert.NotNull(catalog.FindKind("stable.example.com", "v1", "CronTab"));
        Assert.Contains(("stable.example.com", "v1"), catalog.GroupVersions);
        Assert.True(catalog.Generation > before);
        Assert.Null(ResourceCatalog.BuiltIn.Find("stable.example.com", "v1", "crontabs"));
    }

    [Fact]
    public void SetCustomResources_SeveralVersions_ListsThemInPriorityOrder()
    {
        ResourceCatalog catalog = ResourceCatalog.CreateExtensible();

        catalog.SetCustomResources("crontabs.stable.example.com",
        [
            Custom("stable.example.com", "v1alpha1", "crontabs", "CronTab"),
            Custom("stable.example.com", "v1beta1", "crontabs", "CronTab"),
            Custom("stable.example.com", "v1", "crontabs", "CronTab"),
        ]);

        Assert.Equal(["v1", "v1beta1", "v1alpha1"], catalog.GroupVersions.Where(gv => gv.Group == "stable.example.com").Select(gv => gv.Version));
    }

    [Fact]
    public void RemoveCustomResources_ServedKind_IsNoLongerFound()
    {
        ResourceCatalog catalog = ResourceCatalog.CreateExtensible();
        catalog.SetCustomResources("crontabs.stable.example.com", [Custom("stable.example.com", "v1", "crontabs", "CronTab")]);

        bool removed = catalog.RemoveCustomResources("crontabs.stable.example.com");

        Assert.True(removed);
        Assert.Null(catalog.Find("stable.example.com", "v1", "crontabs"));
        Assert.DoesNotContain(("stable.example.com", "v1"), catalog.GroupVersions);
        Assert.False(catalog.RemoveCustomResources("crontabs.stable.example.com"));
    }

    [Fact]
    public void SetCustomResources_NameOfABuiltInResource_ThrowsAndChangesNothing()
    {
        ResourceCatalog catalog = ResourceCatalog.CreateExtensible();
        long before = catalog.Generation;

        Assert.Throws<InvalidOperationException>(() => catalog.SetCustomResources("x", [Custom("apps", "v1", "deployments", "Deployment")]));

        Assert.Equal(before, catalog.Generation);
        Assert.False(catalog.Find("apps", "v1", "deployments")!.IsCustom);
    }

    [Fact]
    public void SetCustomResources_BuiltInCatalog_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => ResourceCatalog.BuiltIn.SetCustomResources("x", [Custom("a.example.com", "v1", "things", "Thing")]));
    }

    [Theory]
    [InlineData("v2", "v1")]
    [InlineData("v1", "v2beta1")]
    [InlineData("v1beta2", "v1beta1")]
    [InlineData("v1beta1", "v1alpha1")]
    [InlineData("v10alpha1", "foo")]
    [InlineData("bar", "foo")]
    public void KubeVersionComparer_Pair_FirstHasPriority(string first, string second)
    {
        Assert.True(KubeVersionComparer.Instance.Compare(first, second) < 0);
        Assert.True(KubeVersionComparer.Instance.Compare(second, first) > 0);
    }
}
