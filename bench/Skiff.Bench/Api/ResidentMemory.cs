using System.Globalization;

namespace Skiff.Bench.Api;

/// <summary>Reads a process's resident set size from procfs.</summary>
internal static class ResidentMemory
{
    /// <summary>The resident set size in bytes, from <c>VmRSS</c> in <c>/proc/PID/status</c>.</summary>
    public static long Of(int pid) => Field(pid, "VmRSS");

    /// <summary>
    /// The process's own resident memory in bytes (<c>RssAnon</c> + <c>RssShmem</c>: heaps, JIT'd code, stacks), without the
    /// file-backed pages of the runtime and assemblies that every .NET process on the machine shares through the page cache.
    /// </summary>
    public static long PrivateOf(int pid) => Field(pid, "RssAnon") + Field(pid, "RssShmem");

    private static long Field(int pid, string name)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                string kilobytes = line[(name.Length + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"no {name} in /proc/{pid}/status");
    }
}
