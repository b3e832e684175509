namespace Skiff.Bench.Store;

/// <summary>Everything one run measured. <c>Etcd</c> is null when etcd could not be started, and <c>EtcdProblem</c> then says why.</summary>
internal sealed record StoreResults(
    string Directory,
    Throughput Fsync,
    BackendFigures Sqlite,
    BackendFigures? Etcd,
    string? EtcdProblem,
    HistoryFigures History);
