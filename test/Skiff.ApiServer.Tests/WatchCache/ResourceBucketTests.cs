using System.Text;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Store;

namespace Skiff.ApiServer.Tests.WatchCache;

public sealed class ResourceBucketTests
{
    private static readonly ResourceInfo s_pods = ResourceCatalog.BuiltIn.Find(string.Empty, "v1", "pods")!;

    [Fact]
    public void Size_AfterCreatesUpdatesAndDeletes_TracksTheHeldJsonAndStaysNearIt()
    {
        var bucket = new ResourceBucket();
        var pool = new StringPool();
        bucket.Reset([], 0);
        CachedObject? last = null;
        for (int i = 0; i < 100; i++)
        {
            last = Pod(i, revision: i + 1, pool);
            bucket.Apply(new CacheEvent(WatchEventType.Created, last, null));
        }

        CachedObject updated = Pod(99, revision: 200, pool, image: "nginx:1.28-with-a-longer-tag");
        bucket.Apply(new CacheEvent(WatchEventType.Updated, updated, last));
        bucket.Apply(new CacheEvent(WatchEventType.Deleted, Pod(0, revision: 201, pool), Pod(0, 1, pool)));

        (long json, long approximate) = bucket.Size;
        long expectedJson = Enumerable.Range(1, 98).Sum(i => (long)Pod(i, i + 1, pool).Json.Length) + updated.Json.Length;
        Assert.Equal(99, bucket.Count);
        Assert.Equal(expectedJson, json);
        Assert.InRange(approximate, json, 2 * json);
    }

    [Fact]
    public void TryWatch_AfterRetire_GivesAClosedWatcher()
    {
        var bucket = new ResourceBucket();
        bucket.Reset([], 0);
        bucket.Retire();

        Assert.True(bucket.TryWatch(null, 0, out CacheWatcher watcher, out List<CacheEvent> replay));

        Assert.Empty(replay);
        Assert.True(watcher.Reader.Completion.IsCompleted);
        Assert.Equal(0, bucket.WatcherCount);
    }

    [Fact]
    public void WatchFromNow_AfterRetire_GivesAClosedWatcher()
    {
        var bucket = new ResourceBucket();
        bucket.Reset([], 0);
        bucket.Retire();

        using CacheWatcher watcher = bucket.WatchFromNow("/core/pods/", null, out _);

        Assert.True(watcher.Reader.Completion.IsCompleted);
        Assert.Equal(0, bucket.WatcherCount);
    }

    private static CachedObject Pod(int index, long revision, StringPool pool, string image = "nginx:1.27")
    {
        string json = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pod-@INDEX","namespace":"bench","labels":{"app":"bench","tier":"web"},"uid":"@UID","creationTimestamp":"2026-01-01T00:00:00Z"},"spec":{"containers":[{"name":"app","image":"@IMAGE","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}],"restartPolicy":"Always","dnsPolicy":"ClusterFirst","schedulerName":"default-scheduler","serviceAccountName":"default","terminationGracePeriodSeconds":30},"status":{"phase":"Pending","qosClass":"Burstable"}}"""
            .Replace("@INDEX", index.ToString("D5", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@UID", Guid.NewGuid().ToString(), StringComparison.Ordinal)
            .Replace("@IMAGE", image, StringComparison.Ordinal);
        return ApiWatchCache.ToCached(s_pods, $"/core/pods/bench/pod-{index:D5}", Encoding.UTF8.GetBytes(json), revision, pool);
    }
}
