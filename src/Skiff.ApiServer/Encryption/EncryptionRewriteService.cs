using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Errors;
using Skiff.Store;

namespace Skiff.ApiServer.Encryption;

/// <summary>
/// Key rotation without <c>kubectl replace</c>: once the API is up, every stored value of a covered resource that was not
/// written with its rule's current write key (an older key, or plaintext, or ciphertext when identity now comes first) is
/// opened and written again with the write key. Each rewrite is a compare-and-swap on the value read, so a write that
/// landed in between (already with the write key) wins and nothing acknowledged is lost.
/// </summary>
/// <remarks>Events are left alone: they carry a time to live the store does not report, and they expire within an hour.</remarks>
internal sealed partial class EncryptionRewriteService(
    [FromKeyedServices(ApiServerServiceCollectionExtensions.UninstrumentedStoreKey)] IRevisionedStore store,
    EncryptionAtRest encryption,
    ApiWatchCache cache,
    ILogger<EncryptionRewriteService> logger) : BackgroundService
{
    private const int Page = 500;

    /// <summary>Completes with the counts once the rewrite has run (tests wait on it).</summary>
    public Task<(int Rewritten, int Unreadable)> Completed => _completed.Task;

    private readonly TaskCompletionSource<(int, int)> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!encryption.Enabled)
        {
            _completed.TrySetResult((0, 0));
            return;
        }

        try
        {
            await cache.Ready.WaitAsync(stoppingToken);
            (int rewritten, int unreadable) = await RewriteAsync(stoppingToken);
            LogRewritten(logger, rewritten, unreadable);
            _completed.TrySetResult((rewritten, unreadable));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _completed.TrySetCanceled(stoppingToken);
        }
        catch (StoreException e)
        {
            // The next start tries again; values already rewritten stay so.
            LogRewriteFailed(logger, e);
            _completed.TrySetException(e);
        }
    }

    private async Task<(int Rewritten, int Unreadable)> RewriteAsync(CancellationToken cancellationToken)
    {
        int rewritten = 0;
        int unreadable = 0;
        foreach (string prefix in encryption.CoveredPrefixes.Where(p => !p.EndsWith("/events/", StringComparison.Ordinal)))
        {
            string? after = null;
            while (true)
            {
                ListResult page = await store.ListAsync(prefix, new ListOptions(Limit: Page, StartAfter: after), cancellationToken);
                foreach (KeyValue item in page.Items)
                {
                    switch (await RewriteOneAsync(item, cancellationToken))
                    {
                        case true:
                            rewritten++;
                            break;
                        case null:
                            unreadable++;
                            break;
                    }
                }

                if (!page.More || page.Items.Count == 0)
                {
                    break;
                }

                after = page.Items[^1].Key;
            }
        }

        return (rewritten, unreadable);
    }

    /// <summary>True when rewritten, false when nothing was to do, null when the value cannot be opened.</summary>
    private async Task<bool?> RewriteOneAsync(KeyValue stored, CancellationToken cancellationToken)
    {
        while (encryption.NeedsRewrite(stored.Key, stored.Value.Span))
        {
            ReadOnlyMemory<byte> plaintext;
            try
            {
                plaintext = encryption.Open(stored.Key, stored.Value);
            }
            catch (StatusException e)
            {
                LogUnreadable(logger, stored.Key, e.Message);
                return null;
            }

            WriteResult result = await store.UpdateAsync(stored.Key, encryption.Seal(stored.Key, plaintext.Span), stored.ModRevision, null, cancellationToken);
            if (result.Succeeded)
            {
                return true;
            }

            if (result.Value is null)
            {
                return false;
            }

            // Someone wrote in between: look at what is stored now.
            stored = result.Value;
        }

        return false;
    }
}
