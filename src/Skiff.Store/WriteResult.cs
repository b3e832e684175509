namespace Skiff.Store;

/// <summary>What a write did.</summary>
/// <param name="Status">Whether it happened, and if not, why.</param>
/// <param name="Revision">
/// The write's revision when <see cref="Status"/> is Ok; otherwise the store's revision when the write was refused.
/// </param>
/// <param name="Value">
/// On success the value written (for a delete, the value removed); on AlreadyExists or Conflict the current value; on NotFound null.
/// </param>
public sealed record WriteResult(WriteStatus Status, long Revision, KeyValue? Value)
{
    public bool Succeeded => Status == WriteStatus.Ok;
}
