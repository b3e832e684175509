using System.Text;

namespace Skiff.Store.Tests;

/// <summary>
/// The behaviour every backend must share. Each backend's test class derives from this one and says how to open a fresh store;
/// the API server relies on exactly these rules.
/// </summary>
public abstract partial class StoreContractTests : IAsyncLifetime
{
    private static readonly TimeSpan s_eventTimeout = TimeSpan.FromSeconds(15);

    private IRevisionedStore? _store;

    protected IRevisionedStore Store => _store ?? throw new InvalidOperationException("the store is opened in InitializeAsync");

    /// <summary>Opens an empty store (or an isolated prefix of a shared one).</summary>
    protected abstract Task<IRevisionedStore> CreateStoreAsync();

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    [Fact]
    public async Task Create_NewKeys_EachWriteGetsTheNextRevision()
    {
        long start = await Store.GetCurrentRevisionAsync(default);

        WriteResult a = await Store.CreateAsync("/k/a", Bytes("1"), null, default);
        WriteResult b = await Store.CreateAsync("/k/b", Bytes("2"), null, default);

        Assert.Equal(WriteStatus.Ok, a.Status);
        Assert.Equal(start + 1, a.Revision);
        Assert.Equal(start + 2, b.Revision);
        KeyValue? got = await Store.GetAsync("/k/a", 0, default);
        Assert.NotNull(got);
        Assert.Equal("1", Text(got.Value));
        Assert.Equal(a.Revision, got.CreateRevision);
        Assert.Equal(a.Revision, got.ModRevision);
        Assert.Equal(start + 2, await Store.GetCurrentRevisionAsync(default));
    }

    [Fact]
    public async Task Create_ExistingKey_ReturnsAlreadyExistsAndChangesNothing()
    {
        WriteResult first = await Store.CreateAsync("/k/a", Bytes("1"), null, default);

        WriteResult second = await Store.CreateAsync("/k/a", Bytes("2"), null, default);

        Assert.Equal(WriteStatus.AlreadyExists, second.Status);
        Assert.Equal("1", Text(second.Value!.Value));
        Assert.Equal(first.Revision, await Store.GetCurrentRevisionAsync(default));
    }

    [Fact]
    public async Task Update_MatchingModRevision_KeepsCreateRevisionAndBumpsModRevision()
    {
        WriteResult created = await Store.CreateAsync("/k/a", Bytes("1"), null, default);

        WriteResult updated = await Store.UpdateAsync("/k/a", Bytes("2"), created.Revision, null, default);

        Assert.Equal(WriteStatus.Ok, updated.Status);
        Assert.Equal(created.Revision + 1, updated.Revision);
        KeyValue got = (await Store.GetAsync("/k/a", 0, default))!;
        Assert.Equal("2", Text(got.Value));
        Assert.Equal(created.Revision, got.CreateRevision);
        Assert.Equal(updated.Revision, got.ModRevision);
    }

    [Fact]
    public async Task Update_StaleModRevision_ReturnsConflictWithCurrentValue()
    {
        WriteResult created = await Store.CreateAsync("/k/a", Bytes("1"), null, default);
        WriteResult updated = await Store.UpdateAsync("/k/a", Bytes("2"), created.Revision, null, default);

        WriteResult stale = await Store.UpdateAsync("/k/a", Bytes("3"), created.Revision, null, default);

        Assert.Equal(WriteStatus.Conflict, stale.Status);
        Assert.Equal(updated.Revision, stale.Value!.ModRevision);
        Assert.Equal("2", Text(stale.Value.Value));
        Assert.Equal("2", Text((await Store.GetAsync("/k/a", 0, default))!.Value));
    }

    [Fact]
    public async Task Update_MissingKey_ReturnsNotFound()
    {
        WriteResult result = await Store.UpdateAsync("/k/none", Bytes("1"), 1, null, default);

        Assert.Equal(WriteStatus.NotFound, result.Status);
        Assert.Null(await Store.GetAsync("/k/none", 0, default));
    }

    [Fact]
    public async Task Delete_Unconditional_RemovesKeyAndReturnsDeletedValue()
    {
        WriteResult created = await Store.CreateAsync("/k/a", Bytes("1"), null, default);

        WriteResult deleted = await Store.DeleteAsync("/k/a", 0, default);

        Assert.Equal(WriteStatus.Ok, deleted.Status);
        Assert.Equal(created.Revision + 1, deleted.Revision);
        Assert.Equal("1", Text(deleted.Value!.Value));
        Assert.Null(await Store.GetAsync("/k/a", 0, default));
    }

    [Fact]
    public async Task Delete_StaleModRevision_ReturnsConflictAndKeepsKey()
    {
        WriteResult created = await Store.CreateAsync("/k/a", Bytes("1"), null, default);
        await Store.UpdateAsync("/k/a", Bytes("2"), created.Revision, null, default);

        WriteResult result = await Store.DeleteAsync("/k/a", created.Revision, default);

        Assert.Equal(WriteStatus.Conflict, result.Status);
        Assert.NotNull(await Store.GetAsync("/k/a", 0, default));
    }

    [Fact]
    public async Task Delete_MissingKey_ReturnsNotFound()
    {
        WriteResult result = await Store.DeleteAsync("/k/none", 0, default);

        Assert.Equal(WriteStatus.NotFound, result.Status);
    }

    [Fact]
    public async Task Get_PastRevision_ReturnsTheValueAsOfThatRevision()
    {
        WriteResult v1 = await Store.CreateAsync("/k/a", Bytes("1"), null, default);
        WriteResult v2 = await Store.UpdateAsync("/k/a", Bytes("2"), v1.Revision, null, default);
        WriteResult gone = await Store.DeleteAsync("/k/a", 0, default);
        await Store.CreateAsync("/k/a", Bytes("3"), null, default);

        Assert.Equal("1", Text((await Store.GetAsync("/k/a", v1.Revision, default))!.Value));
        Assert.Equal("2", Text((await Store.GetAsync("/k/a", v2.Revision, default))!.Value));
        Assert.Null(await Store.GetAsync("/k/a", gone.Revision, default));
        KeyValue recreated = (await Store.GetAsync("/k/a", 0, default))!;
        Assert.Equal("3", Text(recreated.Value));
        Assert.Equal(gone.Revision + 1, recreated.CreateRevision);
    }

    [Fact]
    public async Task List_Prefix_ReturnsOnlyKeysUnderItInByteOrder()
    {
        foreach (string key in new[] { "/b/1", "/a/2", "/ab/1", "/a/1", "/a/10" })
        {
            await Store.CreateAsync(key, Bytes(key), null, default);
        }

        ListResult result = await Store.ListAsync("/a/", new ListOptions(), default);

        Assert.Equal(["/a/1", "/a/10", "/a/2"], result.Items.Select(i => i.Key));
        Assert.False(result.More);
        Assert.Equal(await Store.GetCurrentRevisionAsync(default), result.Revision);
        Assert.Equal(3, await Store.CountAsync("/a/", default));
        Assert.Equal(0, await Store.CountAsync("/none/", default));
    }

    [Fact]
    public async Task List_PagesWithContinue_AreConsistentAtTheFirstPagesRevision()
    {
        var revisions = new Dictionary<string, long>();
        for (int i = 1; i <= 5; i++)
        {
            revisions[$"/p/{i}"] = (await Store.CreateAsync($"/p/{i}", Bytes($"v{i}"), null, default)).Revision;
        }

        ListResult first = await Store.ListAsync("/p/", new ListOptions(Limit: 2), default);
        await Store.UpdateAsync("/p/3", Bytes("changed"), revisions["/p/3"], null, default);
        await Store.DeleteAsync("/p/4", 0, default);
        await Store.CreateAsync("/p/6", Bytes("v6"), null, default);
        ListResult second = await Store.ListAsync("/p/", new ListOptions(first.Revision, 2, first.Items[^1].Key), default);
        ListResult third = await Store.ListAsync("/p/", new ListOptions(first.Revision, 2, second.Items[^1].Key), default);

        Assert.True(first.More);
        Assert.True(second.More);
        Assert.False(third.More);
        Assert.Equal(first.Revision, second.Revision);
        string[] all = [.. first.Items.Concat(second.Items).Concat(third.Items).Select(i => $"{i.Key}={Text(i.Value)}")];
        Assert.Equal(["/p/1=v1", "/p/2=v2", "/p/3=v3", "/p/4=v4", "/p/5=v5"], all);
        ListResult latest = await Store.ListAsync("/p/", new ListOptions(), default);
        Assert.Equal(["/p/1=v1", "/p/2=v2", "/p/3=changed", "/p/5=v5", "/p/6=v6"], latest.Items.Select(i => $"{i.Key}={Text(i.Value)}"));
    }

    [Fact]
    public async Task Write_ValueOverLimit_IsRefusedAndNothingIsStored()
    {
        long before = await Store.GetCurrentRevisionAsync(default);
        byte[] big = new byte[StoreLimits.MaxValueBytes + 1];

        await Assert.ThrowsAsync<ValueTooLargeException>(() => Store.CreateAsync("/k/big", big, null, default));

        Assert.Null(await Store.GetAsync("/k/big", 0, default));
        Assert.Equal(before, await Store.GetCurrentRevisionAsync(default));
        WriteResult oneMiB = await Store.CreateAsync("/k/big", new byte[1024 * 1024], null, default);
        Assert.Equal(WriteStatus.Ok, oneMiB.Status);
    }

    [Fact]
    public async Task Update_ConcurrentCompareAndSwapLoops_LoseNoIncrement()
    {
        await Store.CreateAsync("/k/counter", Bytes("0"), null, default);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++)
            {
                while (true)
                {
                    KeyValue current = (await Store.GetAsync("/k/counter", 0, default))!;
                    int next = int.Parse(Text(current.Value), System.Globalization.CultureInfo.InvariantCulture) + 1;
                    WriteResult result = await Store.UpdateAsync("/k/counter", Bytes(next.ToString(System.Globalization.CultureInfo.InvariantCulture)), current.ModRevision, null, default);
                    if (result.Succeeded)
                    {
                        break;
                    }

                    Assert.Equal(WriteStatus.Conflict, result.Status);
                }
            }
        })));

        Assert.Equal("160", Text((await Store.GetAsync("/k/counter", 0, default))!.Value));
    }

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    protected static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    /// <summary>Takes exactly <paramref name="count"/> events from a watch, failing if they do not arrive in time.</summary>
    protected static async Task<List<WatchEvent>> TakeAsync(IRevisionedStore store, string prefix, long after, int count)
    {
        using var timeout = new CancellationTokenSource(s_eventTimeout);
        var events = new List<WatchEvent>();
        if (count == 0)
        {
            return events;
        }

        await foreach (WatchEvent change in store.WatchAsync(prefix, after, timeout.Token))
        {
            events.Add(change);
            if (events.Count == count)
            {
                break;
            }
        }

        return events;
    }
}
