using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Machinery.Informers;
using Skiff.TestKit.Server;

namespace Skiff.Machinery.Tests.Informers;

public sealed class SharedInformerFactoryServerTests(SkiffServerFixture fixture) : IClassFixture<SkiffServerFixture>
{
    [Fact]
    public async Task Pods_CreatedAndDeletedThroughClient_SeenByInformer()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var factory = new SharedInformerFactory(fixture.Client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        SharedInformer<V1Pod> pods = factory.Pods();
        var recorder = new Recorder();
        pods.AddEventHandler(recorder);
        Assert.Same(pods, factory.Pods());
        factory.Start(timeout.Token);
        await factory.WaitForCacheSyncAsync(timeout.Token);

        V1Pod created = await fixture.Client.CoreV1.CreateNamespacedPodAsync(Pods.Make("informer-a", resourceVersion: null, nodeName: "n1"), "default", cancellationToken: timeout.Token);
        await fixture.Client.CoreV1.CreateNamespacedPodAsync(Pods.Make("informer-b", resourceVersion: null), "default", cancellationToken: timeout.Token);

        Assert.Equal(
            [$"add default/informer-a@{created.Metadata.ResourceVersion}", "add default/informer-b"],
            (await recorder.NextAsync(2)).Select(e => e.Contains("informer-b", StringComparison.Ordinal) ? e[..e.IndexOf('@', StringComparison.Ordinal)] : e));
        Assert.Equal("informer-a", Assert.Single(pods.Cache.ByIndex(CacheIndexers.NodeName, "n1")).Metadata.Name);

        await fixture.Client.CoreV1.DeleteNamespacedPodAsync("informer-a", "default", gracePeriodSeconds: 0, cancellationToken: timeout.Token);

        string next = (await recorder.NextAsync(1))[0];
        while (!next.StartsWith("delete", StringComparison.Ordinal))
        {
            // A graceful delete may first show up as an update (deletionTimestamp set) before the object is gone.
            next = (await recorder.NextAsync(1))[0];
        }

        Assert.Equal("delete default/informer-a", next);
        Assert.Null(pods.Cache.Get("default", "informer-a"));
        Assert.NotNull(pods.Cache.Get("default", "informer-b"));
    }
}
