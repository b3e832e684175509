namespace Skiff.Store;

/// <summary>One change, as seen by a watcher.</summary>
/// <param name="Type">Created, Updated or Deleted.</param>
/// <param name="Current">
/// The key after the change. For a delete: the key with an empty value and the delete's revision as <see cref="KeyValue.ModRevision"/>.
/// </param>
/// <param name="Previous">The value before the change (null for a create).</param>
public sealed record WatchEvent(WatchEventType Type, KeyValue Current, KeyValue? Previous)
{
    public long Revision => Current.ModRevision;
}
