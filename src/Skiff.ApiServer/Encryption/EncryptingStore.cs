using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.Machinery.Errors;
using Skiff.Store;

namespace Skiff.ApiServer.Encryption;

/// <summary>
/// The API server's store with encryption at rest: values of the resources an EncryptionConfiguration names are sealed on
/// every write and opened on every read, list and watch, so nothing above it (registry, watch cache, token lookups) sees
/// ciphertext and nothing below it (SQLite, etcd) sees plaintext. Store-agnostic: it only sees keys and bytes.
/// </summary>
/// <remarks>
/// A value no configured key opens fails a get with an InternalError naming the key. Lists and watches leave such a value
/// out and log it (2501): one unreadable object must not stop the watch cache, and so every other resource, from loading.
/// A watch event whose previous value does not open is still delivered, without <see cref="WatchEvent.Previous"/>.
/// </remarks>
internal sealed partial class EncryptingStore(IRevisionedStore inner, EncryptionAtRest encryption, ILogger<EncryptingStore> logger) : IRevisionedStore
{
    /// <summary>The store the API server uses: <paramref name="store"/> itself, or the encrypting store over it when configured.</summary>
    public static IRevisionedStore Over(IRevisionedStore store, IServiceProvider services)
    {
        EncryptionAtRest encryption = services.GetRequiredService<EncryptionAtRest>();
        return encryption.Enabled ? new EncryptingStore(store, encryption, services.GetRequiredService<ILogger<EncryptingStore>>()) : store;
    }

    public Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken) => inner.GetCurrentRevisionAsync(cancellationToken);

    public async Task<KeyValue?> GetAsync(string key, long revision, CancellationToken cancellationToken) =>
        await inner.GetAsync(key, revision, cancellationToken) is { } stored ? Open(stored) : null;

    public async Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken)
    {
        ListResult page = await inner.ListAsync(prefix, options, cancellationToken);
        var items = new List<KeyValue>(page.Items.Count);
        foreach (KeyValue item in page.Items)
        {
            if (TryOpen(item) is { } opened)
            {
                items.Add(opened);
            }
        }

        return page with { Items = items };
    }

    public Task<long> CountAsync(string prefix, CancellationToken cancellationToken) => inner.CountAsync(prefix, cancellationToken);

    public async Task<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? timeToLive, CancellationToken cancellationToken) =>
        Plain(await inner.CreateAsync(key, encryption.Seal(key, value.Span), timeToLive, cancellationToken), value);

    public async Task<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, TimeSpan? timeToLive, CancellationToken cancellationToken) =>
        Plain(await inner.UpdateAsync(key, encryption.Seal(key, value.Span), expectedModRevision, timeToLive, cancellationToken), value);

    public async Task<WriteResult> DeleteAsync(string key, long expectedModRevision, CancellationToken cancellationToken)
    {
        WriteResult result = await inner.DeleteAsync(key, expectedModRevision, cancellationToken);

        // A delete that happened is reported as done even when the deleted value no longer opens (its key was removed).
        return result.Value is { } value ? result with { Value = result.Succeeded ? TryOpen(value) : Open(value) } : result;
    }

    public async IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (WatchEvent change in inner.WatchAsync(prefix, afterRevision, cancellationToken))
        {
            // A previous value that no longer opens (its key was removed) must not hide the change: a Secret rewritten with a
            // current key, or deleted, still reaches the watch cache, with Previous left out. Only an unreadable current
            // value of a create or update is skipped (lists leave it out too).
            KeyValue? previous = change.Previous is { } p ? TryOpen(p) : null;
            KeyValue? current = change.Type == WatchEventType.Deleted ? change.Current : TryOpen(change.Current);
            if (current is null)
            {
                continue;
            }

            yield return change with { Current = current, Previous = previous };
        }
    }

    public Task CompactAsync(long revision, CancellationToken cancellationToken) => inner.CompactAsync(revision, cancellationToken);

    /// <summary>The container owns (and disposes) the wrapped store.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private KeyValue Open(KeyValue stored) => stored with { Value = encryption.Open(stored.Key, stored.Value) };

    private KeyValue? TryOpen(KeyValue stored)
    {
        try
        {
            return Open(stored);
        }
        catch (StatusException e)
        {
            LogUnreadable(logger, stored.Key, e.Message);
            return null;
        }
    }

    /// <summary>A write's result as callers expect it: the value written is the plaintext; a current value is opened.</summary>
    private WriteResult Plain(WriteResult result, ReadOnlyMemory<byte> plaintext) => result.Value switch
    {
        null => result,
        { } written when result.Succeeded => result with { Value = written with { Value = plaintext } },
        { } current => result with { Value = Open(current) },
    };
}
