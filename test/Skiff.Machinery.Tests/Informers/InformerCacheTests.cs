using k8s.Models;
using Skiff.Machinery.Informers;

namespace Skiff.Machinery.Tests.Informers;

public sealed class InformerCacheTests
{
    private readonly InformerCache<V1Pod> _cache = new(new Dictionary<string, Func<V1Pod, IEnumerable<string>>>(CacheIndexers.Default<V1Pod>())
    {
        [CacheIndexers.NodeName] = CacheIndexers.ByNodeName,
    });

    [Fact]
    public void ByIndex_NamespaceOwnerAndNode_FindsObjects()
    {
        _cache.Upsert(Pods.Make("a", "1", nodeName: "n1", ownerUid: "rs-1"));
        _cache.Upsert(Pods.Make("b", "2", nodeName: "n2", ownerUid: "rs-1"));
        _cache.Upsert(Pods.Make("c", "3", ns: "kube-system"));

        Assert.Equal(["a", "b"], _cache.ByIndex(CacheIndexers.Namespace, "default").Select(p => p.Metadata.Name).Order());
        Assert.Equal(["a", "b"], _cache.ByIndex(CacheIndexers.OwnerUid, "rs-1").Select(p => p.Metadata.Name).Order());
        Assert.Equal(["b"], _cache.ByIndex(CacheIndexers.NodeName, "n2").Select(p => p.Metadata.Name));
        Assert.Empty(_cache.ByIndex(CacheIndexers.NodeName, "n3"));
        Assert.Equal(["default/a", "default/b", "kube-system/c"], _cache.ListKeys().Order());
    }

    [Fact]
    public void Upsert_ChangedNode_MovesIndexEntry()
    {
        _cache.Upsert(Pods.Make("a", "1", nodeName: "n1"));
        V1Pod? old = _cache.Upsert(Pods.Make("a", "2", nodeName: "n2"));

        Assert.Equal("1", old?.Metadata.ResourceVersion);
        Assert.Empty(_cache.ByIndex(CacheIndexers.NodeName, "n1"));
        Assert.Single(_cache.ByIndex(CacheIndexers.NodeName, "n2"));
    }

    [Fact]
    public void Remove_DropsObjectAndIndexEntries()
    {
        _cache.Upsert(Pods.Make("a", "1", nodeName: "n1", ownerUid: "rs-1"));

        Assert.NotNull(_cache.Remove("default/a"));
        Assert.Null(_cache.Remove("default/a"));
        Assert.Equal(0, _cache.Count);
        Assert.Empty(_cache.ByIndex(CacheIndexers.OwnerUid, "rs-1"));
        Assert.False(_cache.TryGet("default/a", out _));
    }

    [Fact]
    public void ByIndex_UnknownIndex_Throws() =>
        Assert.Throws<ArgumentException>(() => _cache.ByIndex("nope", "x"));

    [Fact]
    public void ObjectKeys_ClusterScoped_IsName() =>
        Assert.Equal("node-1", ObjectKeys.Of(new V1Node { Metadata = new V1ObjectMeta { Name = "node-1" } }));
}
