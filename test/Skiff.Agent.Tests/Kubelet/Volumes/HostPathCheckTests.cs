using System.Net.Sockets;
using k8s.Models;
using Skiff.Agent.Kubelet.Volumes;

namespace Skiff.Agent.Tests.Kubelet.Volumes;

public sealed class HostPathCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("skiff-hostpath-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Ensure_DirectoryOrCreate_CreatesAMissingDirectory()
    {
        string path = Path.Combine(_dir, "a", "b");

        HostPathCheck.Ensure(new V1HostPathVolumeSource { Path = path, Type = "DirectoryOrCreate" });

        Assert.True(Directory.Exists(path));
    }

    [Fact]
    public void Ensure_FileOrCreate_CreatesAnEmptyFile()
    {
        string path = Path.Combine(_dir, "f.txt");

        HostPathCheck.Ensure(new V1HostPathVolumeSource { Path = path, Type = "FileOrCreate" });

        Assert.True(File.Exists(path));
        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Theory]
    [InlineData("Directory", "file", "is not a directory")]
    [InlineData("File", "dir", "is not a file")]
    [InlineData("DirectoryOrCreate", "file", "is not a directory")]
    [InlineData("Socket", "file", "is not a socket file")]
    [InlineData("CharDevice", "file", "is not a character device")]
    [InlineData("BlockDevice", "dir", "is not a block device")]
    [InlineData("Directory", "missing", "does not exist")]
    public void Ensure_WrongKind_FailsWithUpstreamsMessage(string type, string what, string message)
    {
        string path = Target(what);

        VolumeMountException error = Assert.Throws<VolumeMountException>(() => HostPathCheck.Ensure(new V1HostPathVolumeSource { Path = path, Type = type }));

        Assert.Equal($"hostPath type check failed: {path} {message}", error.Message);
    }

    [Fact]
    public void Ensure_RightKinds_Pass()
    {
        string socketPath = Path.Combine(_dir, "s.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));

        HostPathCheck.Ensure(new V1HostPathVolumeSource { Path = socketPath, Type = "Socket" });
        HostPathCheck.Ensure(new V1HostPathVolumeSource { Path = "/dev/null", Type = "CharDevice" });
        HostPathCheck.Ensure(new V1HostPathVolumeSource { Path = Target("dir"), Type = "Directory" });
        HostPathCheck.Ensure(new V1HostPathVolumeSource { Path = Target("file"), Type = "File" });
        HostPathCheck.Ensure(new V1HostPathVolumeSource { Path = Path.Combine(_dir, "missing"), Type = "" });
        Assert.False(Path.Exists(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public void Ensure_UnknownType_Fails()
    {
        Assert.Throws<VolumeMountException>(() => HostPathCheck.Ensure(new V1HostPathVolumeSource { Path = _dir, Type = "Fifo" }));
    }

    private string Target(string what)
    {
        string path = Path.Combine(_dir, what);
        if (what == "file")
        {
            File.WriteAllText(path, "x");
        }
        else if (what == "dir")
        {
            Directory.CreateDirectory(path);
        }

        return path;
    }
}
