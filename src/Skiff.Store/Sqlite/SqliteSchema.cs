namespace Skiff.Store.Sqlite;

/// <summary>
/// The on-disk layout. <c>log</c> is append-only history (its id is the revision), kine-style; <c>current</c> points at the latest
/// row of each live key so reads of the present never scan history; <c>meta</c> holds the revision and the compaction point.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>"SKIF" in PRAGMA application_id marks a file as ours, so we never adopt someone else's database.</summary>
    public const int ApplicationId = 0x534B4946;

    public const int Version = 1;

    public const string RevisionKey = "revision";

    public const string CompactedKey = "compacted";

    /// <summary>Must run before any table exists and outside a transaction, or SQLite silently ignores it.</summary>
    public const string BeforeCreate = "PRAGMA auto_vacuum = INCREMENTAL;";

    public const string Create = """
        CREATE TABLE log (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            created INTEGER NOT NULL,
            prev INTEGER NOT NULL,
            deleted INTEGER NOT NULL,
            value BLOB NOT NULL
        );
        CREATE INDEX log_key_id ON log (key, id);
        CREATE TABLE current (
            key TEXT PRIMARY KEY,
            id INTEGER NOT NULL,
            expires INTEGER
        ) WITHOUT ROWID;
        CREATE INDEX current_expires ON current (expires) WHERE expires IS NOT NULL;
        CREATE TABLE meta (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0);
        """;
}
