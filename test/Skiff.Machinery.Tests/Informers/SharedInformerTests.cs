using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Skiff.Machinery.Informers;

namespace Skiff.Machinery.Tests.Informers;

public sealed class SharedInformerTests : IAsyncLifetime, IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly FakeListWatch _fake = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Recorder _recorder = new();
    private SharedInformer<V1Pod> _informer = null!;
    private Task _running = Task.CompletedTask;

    public Task InitializeAsync()
    {
        _informer = NewInformer(TimeSpan.Zero);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
    }

    public void Dispose() => _stop.Dispose();

    [Fact]
    public async Task RunAsync_Listed_AddsInListOrderThenWatchesFromListResourceVersion()
    {
        _fake.EnqueueList("10", Pods.Make("a", "5"), Pods.Make("b", "7"));
        Start();

        Assert.Equal(["add default/a@5", "add default/b@7"], await _recorder.NextAsync(2));
        WatchRequest watch = await _fake.NextWatchRequestAsync();

        Assert.True(_informer.HasSynced);
        Assert.Equal("10", watch.ResourceVersion);
        Assert.True(watch.AllowWatchBookmarks);
        Assert.InRange(watch.TimeoutSeconds, 300, 600);
        Assert.Equal(2, _informer.Cache.Count);
    }

    [Fact]
    public async Task Cache_ListedAndWatchedObjects_AreKeptWithoutManagedFields()
    {
        V1Pod listed = Pods.Make("a", "5");
        listed.Metadata.ManagedFields = [new V1ManagedFieldsEntry { Manager = "kubectl", Operation = "Apply" }];
        V1Pod watched = Pods.Make("b", "11");
        watched.Metadata.ManagedFields = [new V1ManagedFieldsEntry { Manager = "kubectl", Operation = "Update" }];
        _fake.EnqueueList("10", listed);
        var stream = _fake.EnqueueWatch();
        Start();
        await _recorder.NextAsync(1);
        await _fake.NextWatchRequestAsync();

        stream.TryWrite(new InformerWatchEvent<V1Pod>(WatchEventType.Added, watched));
        await _recorder.NextAsync(1);

        Assert.Null(_informer.Cache.Get("default", "a")!.Metadata.ManagedFields);
        Assert.Null(_informer.Cache.Get("default", "b")!.Metadata.ManagedFields);
    }

    [Fact]
    public async Task Watch_Ends_WatchesAgainFromLastResourceVersionWithoutRelisting()
    {
        _fake.EnqueueList("10", Pods.Make("a", "5"));
        var stream = _fake.EnqueueWatch();
        Start();
        await _recorder.NextAsync(1);
        await _fake.NextWatchRequestAsync();

        stream.TryWrite(new InformerWatchEvent<V1Pod>(WatchEventType.Modified, Pods.Make("a", "12")));
        stream.TryWrite(new InformerWatchEvent<V1Pod>(WatchEventType.Added, Pods.Make("c", "13")));
        stream.TryWrite(new InformerWatchEvent<V1Pod>(WatchEventType.Bookmark, new V1Pod { Metadata = new V1ObjectMeta { ResourceVersion = "20" } }));
        stream.Complete();

        Assert.Equal(["update default/a@5->12", "add default/c@13"], await _recorder.NextAsync(2));
        Assert.Equal("20", (await _fake.NextWatchRequestAsync()).ResourceVersion);
        Assert.Equal(1, _fake.ListCalls);
    }

    [Fact]
    public async Task Watch_ErrorEvent410_RelistsAndReconcilesCache()
    {
        _fake.EnqueueList("10", Pods.Make("a", "5"), Pods.Make("b", "7"));
        var stream = _fake.EnqueueWatch();
        Start();
        await _recorder.NextAsync(2);
        await _fake.NextWatchRequestAsync();

        _fake.EnqueueList("30", Pods.Make("a", "25"), Pods.Make("c", "26"));
        stream.TryWrite(new InformerWatchEvent<V1Pod>(WatchEventType.Error, null, new V1Status { Code = 410, Reason = "Expired" }));

        Assert.Equal(["update default/a@5->25", "add default/c@26", "delete default/b"], await _recorder.NextAsync(3));
        Assert.Equal("30", (await _fake.NextWatchRequestAsync()).ResourceVersion);
        Assert.Equal(2, _fake.ListCalls);
        Assert.Null(_informer.Cache.Get("default", "b"));
    }

    [Fact]
    public async Task Watch_HttpOperationException410_Relists()
    {
        _fake.EnqueueList("10", Pods.Make("a", "5"));
        var stream = _fake.EnqueueWatch();
        Start();
        await _recorder.NextAsync(1);
        await _fake.NextWatchRequestAsync();

        _fake.EnqueueList("40", Pods.Make("a", "35"));
        using var response = new HttpResponseMessage(HttpStatusCode.Gone);
        stream.Complete(new HttpOperationException("gone") { Response = new HttpResponseMessageWrapper(response, string.Empty) });

        Assert.Equal(["update default/a@5->35"], await _recorder.NextAsync(1));
        Assert.Equal("40", (await _fake.NextWatchRequestAsync()).ResourceVersion);
        Assert.Equal(2, _fake.ListCalls);
    }

    [Fact]
    public async Task Watch_EndsAtOnceWithoutEvents_BacksOffOnTimeProviderBeforeWatchingAgain()
    {
        var time = new SignalingTimeProvider();
        var informer = new SharedInformer<V1Pod>(_fake.ListWatch, time, NullLogger<SharedInformer<V1Pod>>.Instance, TimeSpan.Zero);
        _fake.EnqueueList("10", Pods.Make("a", "5"));
        _fake.EnqueueWatch().Complete();
        _running = informer.RunAsync(_stop.Token);
        await _fake.NextWatchRequestAsync();

        TimeSpan backoff = await time.NextTimerAsync();
        Task<WatchRequest> next = _fake.NextWatchRequestAsync();
        Assert.False(next.IsCompleted);
        time.Advance(backoff);

        Assert.Equal(TimeSpan.FromMilliseconds(800), backoff);
        Assert.Equal("10", (await next).ResourceVersion);
        Assert.Equal(1, _fake.ListCalls);
    }

    [Fact]
    public async Task Handlers_CalledInRegistrationOrder_AfterCacheHoldsTheChange()
    {
        var informer = NewInformer(TimeSpan.Zero);
        var log = new List<string>();
        informer.AddEventHandler(new InformerHandler<V1Pod>(
            onAdd: p => log.Add("first " + (informer.Cache.Get("default", p.Metadata.Name) is null ? "missing" : "cached")),
            onDelete: p => log.Add("first delete " + (informer.Cache.Get("default", p.Metadata.Name) is null ? "gone" : "cached"))));
        var second = new Recorder("second ");
        informer.AddEventHandler(second);
        _fake.EnqueueList("10", Pods.Make("a", "5"));
        var stream = _fake.EnqueueWatch();
        _running = informer.RunAsync(_stop.Token);

        await second.NextAsync(1);
        stream.TryWrite(new InformerWatchEvent<V1Pod>(WatchEventType.Deleted, Pods.Make("a", "6")));
        await second.NextAsync(1);

        Assert.Equal(["first cached", "first delete gone"], log);
        Assert.Equal(["second add default/a@5", "second delete default/a"], second.Log);
        Assert.Throws<InvalidOperationException>(() => informer.AddEventHandler(new Recorder()));
    }

    [Fact]
    public async Task Handler_Throws_OthersStillNotified()
    {
        var informer = NewInformer(TimeSpan.Zero);
        informer.AddEventHandler(new InformerHandler<V1Pod>(onAdd: _ => throw new InvalidOperationException("broken")));
        var recorder = new Recorder();
        informer.AddEventHandler(recorder);
        _fake.EnqueueList("10", Pods.Make("a", "5"));
        _running = informer.RunAsync(_stop.Token);

        Assert.Equal(["add default/a@5"], await recorder.NextAsync(1));
    }

    [Fact]
    public async Task Resync_OnTimeProvider_RedeliversEveryCachedObject()
    {
        var informer = NewInformer(TimeSpan.FromMinutes(1));
        var recorder = new Recorder();
        informer.AddEventHandler(recorder);
        _fake.EnqueueList("10", Pods.Make("a", "5"));
        _running = informer.RunAsync(_stop.Token);
        await recorder.NextAsync(1);
        await informer.WaitForSyncAsync(CancellationToken.None);

        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(["update default/a@5->5"], await recorder.NextAsync(1));
    }

    [Fact]
    public async Task Cache_ReturnsTheInstanceHandedToHandlers()
    {
        V1Pod? handed = null;
        var informer = NewInformer(TimeSpan.Zero);
        informer.AddEventHandler(new InformerHandler<V1Pod>(onAdd: p => handed = p));
        _fake.EnqueueList("10", Pods.Make("a", "5"));
        _running = informer.RunAsync(_stop.Token);
        await informer.WaitForSyncAsync(CancellationToken.None);

        Assert.Same(handed, informer.Cache.Get("default", "a"));
    }

    private SharedInformer<V1Pod> NewInformer(TimeSpan resync)
    {
        var indexers = new Dictionary<string, Func<V1Pod, IEnumerable<string>>>(CacheIndexers.Default<V1Pod>())
        {
            [CacheIndexers.NodeName] = CacheIndexers.ByNodeName,
        };
        return new SharedInformer<V1Pod>(_fake.ListWatch, _time, NullLogger<SharedInformer<V1Pod>>.Instance, resync, indexers);
    }

    private void Start()
    {
        _informer.AddEventHandler(_recorder);
        _running = _informer.RunAsync(_stop.Token);
    }
}
