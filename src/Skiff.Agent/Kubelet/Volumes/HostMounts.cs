using System.Globalization;
using System.Runtime.InteropServices;

namespace Skiff.Agent.Kubelet.Volumes;

/// <summary>
/// The few Linux calls the volume manager needs: mount a tmpfs, list and lazily unmount what is mounted below a directory
/// (from /proc/self/mountinfo), and the file type of a path (for hostPath type checks).
/// </summary>
internal static partial class HostMounts
{
    private const int MntDetach = 2;
    private const uint FileTypeMask = 0xF000;

    /// <summary>Mounts a tmpfs on <paramref name="path"/> (a size limit in bytes when given) unless one is there already.</summary>
    public static void MountTmpfs(string path, long? sizeBytes)
    {
        if (IsMountPoint(path))
        {
            return;
        }

        string options = sizeBytes is long size ? "size=" + size.ToString(CultureInfo.InvariantCulture) : string.Empty;
        if (Mount("tmpfs", path, "tmpfs", 0, options) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"mounting a tmpfs on {path} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    /// <summary>Unmounts everything mounted at or below <paramref name="root"/>, deepest first (detaching busy ones).</summary>
    public static void UnmountBelow(string root)
    {
        string prefix = root.TrimEnd('/');
        foreach (string point in MountPoints().Where(p => p == prefix || p.StartsWith(prefix + "/", StringComparison.Ordinal)).OrderByDescending(p => p.Length))
        {
            if (Unmount(point, MntDetach) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new IOException($"unmounting {point} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }
    }

    public static bool IsMountPoint(string path) => MountPoints().Contains(path.TrimEnd('/'));

    /// <summary>The file-system type of <paramref name="path"/> as the fourth field of /proc/self/mountinfo names it, or null.</summary>
    public static string? FileSystemType(string path)
    {
        foreach (string line in File.ReadLines("/proc/self/mountinfo"))
        {
            string[] fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (fields.Length > 4 && dash > 0 && dash + 1 < fields.Length && Unescape(fields[4]) == path.TrimEnd('/'))
            {
                return fields[dash + 1];
            }
        }

        return null;
    }

    /// <summary>The S_IFMT bits of <paramref name="path"/> (following symlinks), or null when it does not exist.</summary>
    public static uint? FileType(string path)
    {
        // struct stat is 144 bytes on x86_64 (st_mode at offset 24) and 128 on arm64 (st_mode at offset 16).
        byte[] buffer = new byte[256];
        if (Stat(path, buffer) != 0)
        {
            return null;
        }

        int offset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        return BitConverter.ToUInt32(buffer, offset) & FileTypeMask;
    }

    /// <summary>The canonical path of <paramref name="path"/> with every symlink resolved (libc realpath), or null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        IntPtr resolved = ResolvePath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Marshal.FreeHGlobal(resolved);
        }
    }

    /// <summary>rename(2): atomically replaces <paramref name="newPath"/> (a symlink to a directory included, which File.Move refuses).</summary>
    public static void Rename(string oldPath, string newPath)
    {
        if (RenamePath(oldPath, newPath) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"renaming {oldPath} to {newPath} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    private static List<string> MountPoints() =>
        [.. File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')).Where(f => f.Length > 4).Select(f => Unescape(f[4]))];

    // mountinfo escapes space, tab, newline and backslash as octal (\040).
    private static string Unescape(string field) =>
        field.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
            .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string fileSystemType, ulong flags, string data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Unmount(string target, int flags);

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenamePath(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr ResolvePath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, [Out] byte[] buffer);
}
