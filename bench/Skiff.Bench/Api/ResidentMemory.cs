using System.Globalization;

namespace Skiff.Bench.Api;

/// <summary>Reads a process's resident set size from procfs.</summary>
internal static class ResidentMemory
{
    /// <summary>The resident set size in bytes, from <c>VmRSS</c> in <c>/proc/PID/status</c>.</summary>
    public static long Of(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                string kilobytes = line["VmRSS:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"no VmRSS in /proc/{pid}/status");
    }
}
