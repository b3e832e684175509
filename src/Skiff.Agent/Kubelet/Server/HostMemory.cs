namespace Skiff.Agent.Kubelet.Server;

/// <summary>The node's memory as the Summary API reports it, from /proc/meminfo.</summary>
/// <param name="AvailableBytes">MemAvailable.</param>
/// <param name="UsageBytes">MemTotal − MemFree.</param>
/// <param name="WorkingSetBytes">MemTotal − MemAvailable (what could not be reclaimed).</param>
/// <param name="RssBytes">MemTotal − MemFree − Buffers − Cached (anonymous memory).</param>
internal sealed record HostMemory(ulong AvailableBytes, ulong UsageBytes, ulong WorkingSetBytes, ulong RssBytes);
