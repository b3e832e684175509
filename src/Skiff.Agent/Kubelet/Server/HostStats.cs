using System.Globalization;

namespace Skiff.Agent.Kubelet.Server;

/// <summary>The node's own CPU and memory use, read from /proc (the kubelet's root-cgroup figures in upstream's Summary).</summary>
internal static class HostStats
{
    // /proc/stat counts in USER_HZ, which is 100 on every Linux the kubelet runs on.
    private const ulong NanosecondsPerTick = 10_000_000;

    /// <summary>CPU time spent on all cores since boot, excluding idle and iowait, in nanoseconds.</summary>
    public static ulong CpuUsageNanoseconds()
    {
        // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
        string? line = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        if (line is null)
        {
            return 0;
        }

        ulong[] fields = [.. line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(f => ulong.Parse(f, CultureInfo.InvariantCulture))];
        ulong busy = 0;
        for (int i = 0; i < Math.Min(fields.Length, 8); i++)
        {
            if (i is not (3 or 4))
            {
                busy += fields[i];
            }
        }

        return busy * NanosecondsPerTick;
    }

    public static HostMemory Memory()
    {
        var values = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines("/proc/meminfo"))
        {
            // "MemTotal:       16384000 kB"
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong kib))
            {
                values[parts[0].TrimEnd(':')] = kib * 1024;
            }
        }

        ulong Get(string name) => values.GetValueOrDefault(name);
        ulong total = Get("MemTotal");
        ulong free = Get("MemFree");
        ulong available = values.TryGetValue("MemAvailable", out ulong a) ? a : free;
        ulong cached = Get("Buffers") + Get("Cached");
        return new HostMemory(
            available,
            total - Math.Min(total, free),
            total - Math.Min(total, available),
            total - Math.Min(total, free + cached));
    }
}
