using Skiff.Agent.Network;

namespace Skiff.TestKit.Network;

/// <summary>Lazily unmounts what an agent left mounted under a directory (container rootfs, shm, pod network namespace files).</summary>
internal static class MountTable
{
    public static async Task UnmountUnderAsync(string directory)
    {
        string prefix = directory.TrimEnd('/') + "/";
        // /proc/self/mounts escapes spaces as \040; test directories have none. Deepest first, so a parent is not busy.
        string[] mounts = [.. File.ReadAllLines("/proc/self/mounts")
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length > 1 && fields[1].StartsWith(prefix, StringComparison.Ordinal))
            .Select(fields => fields[1])
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(path => path.Length)];
        foreach (string mount in mounts)
        {
            await NetCommand.Host.TryRunAsync("umount", ["-l", mount]);
        }
    }
}
