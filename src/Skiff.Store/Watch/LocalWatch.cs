using System.Runtime.CompilerServices;

namespace Skiff.Store.Watch;

/// <summary>
/// The watch loop shared by the embedded backends: attach to the hub, replay history between the requested revision and the
/// attach point, then stream live changes. If the subscriber overflows it starts again from the last revision it delivered.
/// </summary>
internal static class LocalWatch
{
    /// <summary>Reads up to a page of history under a prefix with revisions in (after, upTo], oldest first.</summary>
    public delegate Task<IReadOnlyList<WatchEvent>> HistoryReader(string prefix, long after, long upTo, CancellationToken cancellationToken);

    public static async IAsyncEnumerable<WatchEvent> RunAsync(
        WatchHub hub,
        HistoryReader readHistory,
        string prefix,
        long afterRevision,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long after = afterRevision;
        while (true)
        {
            using WatchSubscription subscription = hub.Subscribe(prefix, out long attachedAt);
            while (after < attachedAt)
            {
                // Throws CompactedException when (after, attachedAt] is no longer complete.
                IReadOnlyList<WatchEvent> page = await readHistory(prefix, after, attachedAt, cancellationToken);
                if (page.Count == 0)
                {
                    after = attachedAt;
                    break;
                }

                foreach (WatchEvent change in page)
                {
                    yield return change;
                    after = change.Revision;
                }
            }

            await foreach (WatchEvent change in subscription.Reader.ReadAllAsync(cancellationToken))
            {
                if (change.Revision <= after)
                {
                    continue;
                }

                yield return change;
                after = change.Revision;
            }

            if (!subscription.Overflowed)
            {
                // The store is shutting down.
                yield break;
            }
        }
    }
}
