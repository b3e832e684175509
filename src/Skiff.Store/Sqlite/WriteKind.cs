namespace Skiff.Store.Sqlite;

/// <summary>What a <see cref="WriteOperation"/> asks the writer to do.</summary>
internal enum WriteKind
{
    Create,
    Update,
    Delete,

    /// <summary>Records the new compaction point, so reads below it fail from now on.</summary>
    MarkCompacted,

    /// <summary>Deletes superseded history rows in one id range (compaction runs in small batches between ordinary writes).</summary>
    CompactRange,

    /// <summary>Returns freed pages to the file system and truncates the WAL; runs outside any transaction.</summary>
    Reclaim,
}
