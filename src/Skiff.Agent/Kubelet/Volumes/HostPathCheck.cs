using k8s.Models;

namespace Skiff.Agent.Kubelet.Volumes;

/// <summary>
/// hostPath volume types as upstream checks them before mounting: DirectoryOrCreate and FileOrCreate create what is missing
/// (a 0755 directory, an empty 0644 file), Directory, File, Socket, CharDevice and BlockDevice require an existing path of
/// that kind, and "" (or none) checks nothing.
/// </summary>
public static class HostPathCheck
{
    private const uint Socket = 0xC000;
    private const uint Regular = 0x8000;
    private const uint BlockDevice = 0x6000;
    private const uint Directory = 0x4000;
    private const uint CharDevice = 0x2000;

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>Checks (and for the *OrCreate types, creates) <paramref name="source"/>'s path.</summary>
    /// <exception cref="VolumeMountException">The path is not of the asked type, or the type is unknown.</exception>
    public static void Ensure(V1HostPathVolumeSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        string path = source.Path ?? string.Empty;
        if (!path.StartsWith('/'))
        {
            throw new VolumeMountException($"hostPath \"{path}\" must be an absolute path");
        }

        uint? type = HostMounts.FileType(path);
        switch (source.Type ?? string.Empty)
        {
            case "":
                return;
            case "DirectoryOrCreate":
                if (type is null)
                {
                    UnixModes.CreateDirectory(path, DirectoryMode);
                    return;
                }

                Require(path, type, Directory, "a directory");
                return;
            case "FileOrCreate":
                if (type is null)
                {
                    UnixModes.CreateDirectory(Path.GetDirectoryName(path)!, DirectoryMode);
                    using (File.Create(path))
                    {
                    }

                    UnixModes.Set(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                    return;
                }

                Require(path, type, Regular, "a file");
                return;
            case "Directory":
                Require(path, type, Directory, "a directory");
                return;
            case "File":
                Require(path, type, Regular, "a file");
                return;
            case "Socket":
                Require(path, type, Socket, "a socket file");
                return;
            case "CharDevice":
                Require(path, type, CharDevice, "a character device");
                return;
            case "BlockDevice":
                Require(path, type, BlockDevice, "a block device");
                return;
            default:
                throw new VolumeMountException($"hostPath type \"{source.Type}\" is not one of DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice, BlockDevice");
        }
    }

    private static void Require(string path, uint? actual, uint wanted, string what)
    {
        if (actual is null)
        {
            throw new VolumeMountException($"hostPath type check failed: {path} does not exist");
        }

        if (actual != wanted)
        {
            throw new VolumeMountException($"hostPath type check failed: {path} is not {what}");
        }
    }
}
