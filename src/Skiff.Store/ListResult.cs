namespace Skiff.Store;

/// <summary>A page of keys.</summary>
/// <param name="Items">The keys, in byte order.</param>
/// <param name="Revision">The revision the page was read at; ask for the next page at the same revision.</param>
/// <param name="More">True when keys remain after the last item.</param>
public sealed record ListResult(IReadOnlyList<KeyValue> Items, long Revision, bool More);
