namespace Skiff.Store;

/// <summary>Which engine holds the data.</summary>
public enum StoreBackend
{
    /// <summary>An embedded SQLite file (the default).</summary>
    Sqlite,

    /// <summary>A real etcd v3 cluster, for several servers.</summary>
    Etcd,

    /// <summary>Process memory, for unit tests only: nothing survives a restart.</summary>
    Memory,
}
