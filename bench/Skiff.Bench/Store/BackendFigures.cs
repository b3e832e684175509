namespace Skiff.Bench.Store;

/// <summary>Everything measured on one backend with the same workload.</summary>
internal sealed record BackendFigures(
    string Name,
    Throughput CreateSerial,
    Throughput CreateConcurrent,
    Throughput UpdateSerial,
    Throughput UpdateConcurrent,
    WatchFigures Watch,
    Throughput List);
