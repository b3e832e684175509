using System.Globalization;

namespace Skiff.Agent.Kubelet.Config;

/// <summary>This node's allocatable cpu, memory and ephemeral storage, as NodeRegistration reports them.</summary>
public sealed record NodeResources(long MilliCpu, long MemoryBytes, long EphemeralStorageBytes)
{
    /// <summary>cpu from the processor count, memory from /proc/meminfo, ephemeral storage from <paramref name="dataDir"/>'s filesystem.</summary>
    public static NodeResources Read(string dataDir)
    {
        ArgumentNullException.ThrowIfNull(dataDir);
        Directory.CreateDirectory(dataDir);
        string line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        long kib = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return new NodeResources(Environment.ProcessorCount * 1000L, kib * 1024, new DriveInfo(dataDir).TotalSize);
    }
}
