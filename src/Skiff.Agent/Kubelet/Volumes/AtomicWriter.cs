using System.Globalization;

namespace Skiff.Agent.Kubelet.Volumes;

/// <summary>One file of a volume's payload: its bytes and its permission bits.</summary>
/// <param name="Content">What the file holds.</param>
/// <param name="Mode">Permission bits (0644 by default for configMap, secret, downwardAPI and projected volumes).</param>
public sealed record FileProjection(byte[] Content, UnixFileMode Mode);

/// <summary>
/// Writes a whole payload (relative path → file) into a volume directory so that a container sees either the old or the new
/// set of files, never a mix (upstream's AtomicWriter layout): the files go into a fresh <c>..&lt;timestamp&gt;</c> directory,
/// a <c>..data_tmp</c> symlink to it is renamed over <c>..data</c> (rename is atomic), and each user-visible top-level name is a
/// symlink into <c>..data</c>. The old timestamped directory and names no longer in the payload are removed afterwards.
/// </summary>
public static class AtomicWriter
{
    public const string DataDirName = "..data";
    private const string NewDataDirName = "..data_tmp";

    /// <summary>Writes <paramref name="payload"/> into <paramref name="targetDir"/>; false when it already held exactly that.</summary>
    /// <exception cref="ArgumentException">A path is absolute, empty, contains <c>..</c> or starts with <c>..</c>.</exception>
    public static bool Write(string targetDir, IReadOnlyDictionary<string, FileProjection> payload, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(targetDir);
        ArgumentNullException.ThrowIfNull(payload);
        foreach (string path in payload.Keys)
        {
            ValidatePath(path);
        }

        Directory.CreateDirectory(targetDir);
        string dataLink = Path.Combine(targetDir, DataDirName);
        string? oldTsName = ReadLink(dataLink);
        string? oldTsDir = oldTsName is null ? null : Path.Combine(targetDir, oldTsName);
        if (oldTsDir is not null && Directory.Exists(oldTsDir) && SameContents(oldTsDir, payload))
        {
            return false;
        }

        string tsName = ".." + now.UtcDateTime.ToString("yyyy_MM_dd_HH_mm_ss.fffffff", CultureInfo.InvariantCulture);
        string tsDir = Path.Combine(targetDir, tsName);
        for (int i = 1; Directory.Exists(tsDir) || File.Exists(tsDir); i++)
        {
            tsDir = Path.Combine(targetDir, tsName + "_" + i.ToString(CultureInfo.InvariantCulture));
        }

        tsName = Path.GetFileName(tsDir);
        UnixModes.CreateDirectory(tsDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        foreach ((string path, FileProjection file) in payload)
        {
            string full = Path.Combine(tsDir, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, file.Content);
            UnixModes.Set(full, file.Mode);
        }

        string tmpLink = Path.Combine(targetDir, NewDataDirName);
        DeleteEntry(tmpLink);
        File.CreateSymbolicLink(tmpLink, tsName);
        // rename(2) replaces the old ..data symlink atomically: a reader resolves either the old or the new directory.
        HostMounts.Rename(tmpLink, dataLink);

        HashSet<string> visible = [.. payload.Keys.Select(TopLevel)];
        foreach (string name in visible)
        {
            string link = Path.Combine(targetDir, name);
            string wanted = Path.Combine(DataDirName, name);
            if (ReadLink(link) != wanted)
            {
                DeleteEntry(link);
                File.CreateSymbolicLink(link, wanted);
            }
        }

        foreach (string entry in Directory.EnumerateFileSystemEntries(targetDir))
        {
            string name = Path.GetFileName(entry);
            if (!name.StartsWith("..", StringComparison.Ordinal) && !visible.Contains(name))
            {
                DeleteEntry(entry);
            }
        }

        if (oldTsDir is not null && oldTsName != tsName)
        {
            DeleteEntry(oldTsDir);
        }

        return true;
    }

    /// <summary>Refuses what could escape the volume directory or collide with the writer's own names.</summary>
    public static void ValidatePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            throw new ArgumentException("the path must not be empty", nameof(path));
        }

        if (path.StartsWith('/'))
        {
            throw new ArgumentException($"the path \"{path}\" must be relative", nameof(path));
        }

        if (path.StartsWith("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"the path \"{path}\" must not start with '..'", nameof(path));
        }

        if (path.Split('/').Any(segment => segment == ".."))
        {
            throw new ArgumentException($"the path \"{path}\" must not contain '..'", nameof(path));
        }
    }

    /// <summary>Deletes a file, a symlink (never what it points to) or a directory tree whose symlinks are not followed.</summary>
    public static void DeleteEntry(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || (info.Exists && !info.Attributes.HasFlag(FileAttributes.Directory)))
        {
            info.Delete();
        }
        else if (Directory.Exists(path))
        {
            // Directory.Delete(recursive) removes symlinks inside the tree without following them.
            Directory.Delete(path, recursive: true);
        }
    }

    private static string TopLevel(string path) => path.Split('/', 2)[0];

    private static string? ReadLink(string path) => new FileInfo(path).LinkTarget;

    private static bool SameContents(string dir, IReadOnlyDictionary<string, FileProjection> payload)
    {
        var existing = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).ToHashSet();
        if (!existing.SetEquals(payload.Keys))
        {
            return false;
        }

        foreach ((string path, FileProjection file) in payload)
        {
            string full = Path.Combine(dir, path);
            if (UnixModes.Get(full) != file.Mode || !File.ReadAllBytes(full).AsSpan().SequenceEqual(file.Content))
            {
                return false;
            }
        }

        return true;
    }
}
