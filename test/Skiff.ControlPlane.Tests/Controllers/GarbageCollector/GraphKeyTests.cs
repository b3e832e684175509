using Skiff.ControlPlane.Controllers.GarbageCollector;
using Skiff.Machinery.Catalog;

namespace Skiff.ControlPlane.Tests.Controllers.GarbageCollector;

public sealed class GraphKeyTests
{
    [Theory]
    [InlineData("", "v1", "pods", "default", "web-1", "/v1/pods/default/web-1")]
    [InlineData("apps", "v1", "replicasets", "prod", "web-abc", "apps/v1/replicasets/prod/web-abc")]
    [InlineData("", "v1", "nodes", null, "node-a", "/v1/nodes//node-a")]
    public void ToString_ThenTryParse_RoundTrips(string group, string version, string plural, string? ns, string name, string expected)
    {
        ResourceInfo resource = ResourceCatalog.BuiltIn.Find(group, version, plural)!;
        var key = new GraphKey(resource, ns, name);

        Assert.Equal(expected, key.ToString());
        Assert.True(GraphKey.TryParse(expected, ResourceCatalog.BuiltIn, out GraphKey parsed));
        Assert.Equal((resource, ns, name), (parsed.Resource, parsed.Namespace, parsed.Name));
    }

    [Theory]
    [InlineData("default/web-1")]
    [InlineData("nope/v1/widgets/default/w")]
    public void TryParse_NotAGraphKey_False(string key) =>
        Assert.False(GraphKey.TryParse(key, ResourceCatalog.BuiltIn, out _));
}
