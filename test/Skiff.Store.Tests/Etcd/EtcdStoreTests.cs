using System.Text;

namespace Skiff.Store.Tests.Etcd;

/// <summary>
/// What the contract suite cannot check because it is about etcd itself: key prefixes shared with other users of the
/// same etcd, etcd's compaction details, leases and the gRPC watch stream.
/// </summary>
[Collection(EtcdGroup.Name)]
public sealed class EtcdStoreTests(EtcdFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan s_expiryTimeout = TimeSpan.FromSeconds(20);

    private readonly IRevisionedStore _store = fixture.CreateStore();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Read_KeysOfAnotherPrefix_AreInvisible()
    {
        await using IRevisionedStore other = fixture.CreateStore();
        long start = await _store.GetCurrentRevisionAsync(default);
        await other.CreateAsync("/k/a", Bytes("other"), null, default);

        WriteResult mine = await _store.CreateAsync("/k/b", Bytes("mine"), null, default);

        Assert.Null(await _store.GetAsync("/k/a", 0, default));
        Assert.Equal(["/k/b"], (await _store.ListAsync("/", new ListOptions(), default)).Items.Select(i => i.Key));
        Assert.Equal(1, await _store.CountAsync("/", default));
        WatchEvent first = await FirstEventAsync(_store, "/", start);
        Assert.Equal("/k/b", first.Current.Key);
        Assert.Equal(mine.Revision, first.Revision);
    }

    [Fact]
    public async Task Read_SamePrefixFromTwoStores_SeesTheSameKeys()
    {
        string prefix = EtcdFixture.NewPrefix();
        await using IRevisionedStore writer = fixture.CreateStore(prefix);
        await using IRevisionedStore reader = fixture.CreateStore(prefix);

        WriteResult created = await writer.CreateAsync("/k/a", Bytes("1"), null, default);

        KeyValue? got = await reader.GetAsync("/k/a", 0, default);
        Assert.NotNull(got);
        Assert.Equal("/k/a", got.Key);
        Assert.Equal(created.Revision, got.ModRevision);
    }

    [Fact]
    public async Task Get_BelowCompaction_ReportsRequestedAndCompactedRevision()
    {
        WriteResult v1 = await _store.CreateAsync("/k/a", Bytes("1"), null, default);
        WriteResult v2 = await _store.UpdateAsync("/k/a", Bytes("2"), v1.Revision, null, default);
        await _store.CompactAsync(v2.Revision, default);

        CompactedException ex = await Assert.ThrowsAsync<CompactedException>(() => _store.GetAsync("/k/a", v1.Revision, default));

        Assert.Equal(v1.Revision, ex.RequestedRevision);
        Assert.Equal(v2.Revision, ex.CompactedRevision);
    }

    [Fact]
    public async Task Watch_BelowCompaction_ReportsCompactedRevision()
    {
        WriteResult v1 = await _store.CreateAsync("/w/a", Bytes("1"), null, default);
        WriteResult v2 = await _store.UpdateAsync("/w/a", Bytes("2"), v1.Revision, null, default);
        WriteResult v3 = await _store.UpdateAsync("/w/a", Bytes("3"), v2.Revision, null, default);
        await _store.CompactAsync(v3.Revision, default);

        CompactedException ex = await Assert.ThrowsAsync<CompactedException>(() => FirstEventAsync(_store, "/w/", v1.Revision));

        Assert.Equal(v1.Revision, ex.RequestedRevision);
        Assert.Equal(v3.Revision, ex.CompactedRevision);
    }

    [Fact]
    public async Task Compact_AtOrBelowCompactedRevision_IsNotAnError()
    {
        WriteResult created = await _store.CreateAsync("/k/a", Bytes("1"), null, default);
        await _store.CompactAsync(created.Revision, default);

        await _store.CompactAsync(created.Revision, default);
        await _store.CompactAsync(created.Revision - 1, default);

        Assert.NotNull(await _store.GetAsync("/k/a", created.Revision, default));
    }

    [Fact]
    public async Task Delete_StaleModRevision_ReturnsConflictWithCurrentValue()
    {
        WriteResult created = await _store.CreateAsync("/k/a", Bytes("1"), null, default);
        WriteResult updated = await _store.UpdateAsync("/k/a", Bytes("2"), created.Revision, null, default);

        WriteResult result = await _store.DeleteAsync("/k/a", created.Revision, default);

        Assert.Equal(WriteStatus.Conflict, result.Status);
        Assert.Equal(updated.Revision, result.Revision);
        Assert.Equal("2", Text(result.Value!.Value));
        Assert.Equal(created.Revision, result.Value.CreateRevision);
    }

    [Fact]
    public async Task Update_ValueOverLimit_IsRefusedBeforeReachingEtcd()
    {
        WriteResult created = await _store.CreateAsync("/k/a", Bytes("1"), null, default);
        byte[] big = new byte[StoreLimits.MaxValueBytes + 1];

        await Assert.ThrowsAsync<ValueTooLargeException>(() => _store.UpdateAsync("/k/a", big, created.Revision, null, default));

        Assert.Equal(created.Revision, await _store.GetCurrentRevisionAsync(default));
    }

    [Fact]
    public async Task Update_WithTimeToLive_AttachesALeaseAndTheKeyExpires()
    {
        WriteResult created = await _store.CreateAsync("/ttl/a", Bytes("1"), null, default);

        WriteResult updated = await _store.UpdateAsync("/ttl/a", Bytes("2"), created.Revision, TimeSpan.FromSeconds(2), default);

        Assert.Equal(WriteStatus.Ok, updated.Status);
        Assert.Equal(created.Revision, updated.Value!.CreateRevision);
        Assert.True(await DisappearsAsync("/ttl/a"), "the key outlived its 2 s lease by far");
    }

    [Fact]
    public async Task Create_SubSecondTimeToLive_IsRoundedUpAndStillExpires()
    {
        WriteResult created = await _store.CreateAsync("/ttl/b", Bytes("1"), TimeSpan.FromMilliseconds(300), default);

        Assert.Equal(WriteStatus.Ok, created.Status);
        Assert.True(await DisappearsAsync("/ttl/b"), "the key outlived its lease by far");
    }

    [Fact]
    public async Task List_ExplicitRevision_ReportsThatRevisionAndItsValues()
    {
        WriteResult v1 = await _store.CreateAsync("/l/a", Bytes("1"), null, default);
        await _store.UpdateAsync("/l/a", Bytes("2"), v1.Revision, null, default);

        ListResult result = await _store.ListAsync("/l/", new ListOptions(Revision: v1.Revision), default);

        Assert.Equal(v1.Revision, result.Revision);
        Assert.Equal(["1"], result.Items.Select(i => Text(i.Value)));
    }

    [Fact]
    public async Task Watch_TokenCancelled_EnumerationEnds()
    {
        long start = await _store.GetCurrentRevisionAsync(default);
        using var cancel = new CancellationTokenSource();
        await using IAsyncEnumerator<WatchEvent> watch = _store.WatchAsync("/c/", start, cancel.Token).GetAsyncEnumerator(cancel.Token);
        ValueTask<bool> next = watch.MoveNextAsync();

        await cancel.CancelAsync();

        Exception? ex = await Record.ExceptionAsync(async () => await next.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(ex is null or OperationCanceledException, $"unexpected {ex}");
    }

    private async Task<bool> DisappearsAsync(string key)
    {
        // Bounded polling: etcd revokes expired leases on its own schedule (about every 500 ms), not on a clock the test controls.
        long started = TimeProvider.System.GetTimestamp();
        while (TimeProvider.System.GetElapsedTime(started) < s_expiryTimeout)
        {
            if (await _store.GetAsync(key, 0, default) is null)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System);
        }

        return false;
    }

    private static async Task<WatchEvent> FirstEventAsync(IRevisionedStore store, string prefix, long after)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await foreach (WatchEvent change in store.WatchAsync(prefix, after, timeout.Token))
        {
            return change;
        }

        throw new InvalidOperationException("the watch ended without an event");
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}
