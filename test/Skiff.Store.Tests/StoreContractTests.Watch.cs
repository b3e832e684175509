namespace Skiff.Store.Tests;

public abstract partial class StoreContractTests
{
    [Fact]
    public async Task Watch_FromPastRevision_ReplaysEveryChangeInOrderWithPreviousValues()
    {
        long start = await Store.GetCurrentRevisionAsync(default);
        WriteResult created = await Store.CreateAsync("/w/a", Bytes("1"), null, default);
        await Store.UpdateAsync("/w/a", Bytes("2"), created.Revision, null, default);
        await Store.DeleteAsync("/w/a", 0, default);

        List<WatchEvent> events = await TakeAsync(Store, "/w/", start, 3);

        Assert.Equal([WatchEventType.Created, WatchEventType.Updated, WatchEventType.Deleted], events.Select(e => e.Type));
        Assert.Equal([start + 1, start + 2, start + 3], events.Select(e => e.Revision));
        Assert.Null(events[0].Previous);
        Assert.Equal("1", Text(events[1].Previous!.Value));
        Assert.Equal("2", Text(events[1].Current.Value));
        Assert.Equal("2", Text(events[2].Previous!.Value));
        Assert.Equal("/w/a", events[2].Current.Key);
    }

    [Fact]
    public async Task Watch_ConcurrentWriters_DeliversEveryChangeOnceInRevisionOrder()
    {
        long start = await Store.GetCurrentRevisionAsync(default);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new List<WatchEvent>();
        const int Writers = 8;
        const int PerWriter = 25;
        Task watching = Task.Run(async () =>
        {
            await foreach (WatchEvent change in Store.WatchAsync("/c/", start, cancel.Token))
            {
                received.Add(change);
                if (received.Count == Writers * PerWriter)
                {
                    return;
                }
            }
        });

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < PerWriter; i++)
            {
                await Store.CreateAsync($"/c/{w}/{i}", Bytes("x"), null, default);
                await Store.CreateAsync($"/other/{w}/{i}", Bytes("x"), null, default);
            }
        })));
        await watching;

        Assert.Equal(Writers * PerWriter, received.Count);
        Assert.Equal(received.Select(e => e.Revision).Order(), received.Select(e => e.Revision));
        Assert.Equal(received.Count, received.Select(e => e.Revision).Distinct().Count());
        Assert.All(received, e => Assert.StartsWith("/c/", e.Current.Key, StringComparison.Ordinal));
        Assert.Equal(Writers * PerWriter, received.Select(e => e.Current.Key).Distinct().Count());
    }

    [Fact]
    public async Task Watch_StartedBeforeWrites_SeesLaterChangesLive()
    {
        long start = await Store.GetCurrentRevisionAsync(default);
        Task<List<WatchEvent>> watching = TakeAsync(Store, "/live/", start, 2);

        WriteResult created = await Store.CreateAsync("/live/a", Bytes("1"), null, default);
        await Store.UpdateAsync("/live/a", Bytes("2"), created.Revision, null, default);
        List<WatchEvent> events = await watching;

        Assert.Equal([WatchEventType.Created, WatchEventType.Updated], events.Select(e => e.Type));
    }

    [Fact]
    public async Task Compact_OldRevisions_ReadsAndWatchesBelowFailAsCompacted()
    {
        long start = await Store.GetCurrentRevisionAsync(default);
        WriteResult v1 = await Store.CreateAsync("/h/a", Bytes("1"), null, default);
        WriteResult v2 = await Store.UpdateAsync("/h/a", Bytes("2"), v1.Revision, null, default);
        WriteResult v3 = await Store.UpdateAsync("/h/a", Bytes("3"), v2.Revision, null, default);
        await Store.CreateAsync("/h/b", Bytes("b"), null, default);
        await Store.DeleteAsync("/h/b", 0, default);
        WriteResult v4 = await Store.UpdateAsync("/h/a", Bytes("4"), v3.Revision, null, default);

        await Store.CompactAsync(v3.Revision, default);

        await Assert.ThrowsAsync<CompactedException>(() => Store.GetAsync("/h/a", v1.Revision, default));
        await Assert.ThrowsAsync<CompactedException>(() => TakeAsync(Store, "/h/", start, 1));
        Assert.Equal("3", Text((await Store.GetAsync("/h/a", v3.Revision, default))!.Value));
        List<WatchEvent> after = await TakeAsync(Store, "/h/", v3.Revision, 3);
        Assert.Equal([WatchEventType.Created, WatchEventType.Deleted, WatchEventType.Updated], after.Select(e => e.Type));
        Assert.Equal("3", Text(after[2].Previous!.Value));
        Assert.Equal(v4.Revision, after[2].Revision);
        await Store.CompactAsync(v2.Revision, default);
    }

    [Fact]
    public async Task Create_WithTimeToLive_KeyExpiresAndWatchersSeeTheDelete()
    {
        long start = await Store.GetCurrentRevisionAsync(default);
        await Store.CreateAsync("/ttl/a", Bytes("1"), TimeSpan.FromSeconds(2), default);
        await Store.CreateAsync("/ttl/keep", Bytes("1"), null, default);

        List<WatchEvent> events = await TakeAsync(Store, "/ttl/", start, 3);

        Assert.Equal(WatchEventType.Deleted, events[2].Type);
        Assert.Equal("/ttl/a", events[2].Current.Key);
        Assert.Null(await Store.GetAsync("/ttl/a", 0, default));
        Assert.NotNull(await Store.GetAsync("/ttl/keep", 0, default));
    }
}
