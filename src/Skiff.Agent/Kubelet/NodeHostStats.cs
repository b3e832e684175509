namespace Skiff.Agent.Kubelet;

/// <summary>One sample of the machine: what it has and what is free, in bytes, cores and pids.</summary>
/// <param name="Cpu">Logical processors.</param>
/// <param name="MemoryTotal">MemTotal.</param>
/// <param name="MemoryAvailable">MemAvailable from /proc/meminfo.</param>
/// <param name="FsTotal">The size of the data dir's filesystem.</param>
/// <param name="FsAvailable">Its free bytes available to unprivileged users.</param>
/// <param name="PidMax">/proc/sys/kernel/pid_max.</param>
/// <param name="PidsRunning">Processes running now.</param>
public sealed record NodeHostStats(int Cpu, long MemoryTotal, long MemoryAvailable, long FsTotal, long FsAvailable, long PidMax, long PidsRunning);
