using System.Text;
using Skiff.Agent.Kubelet.Volumes;

namespace Skiff.Agent.Tests.Kubelet.Volumes;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AtomicWriterTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private const UnixFileMode Mode644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly string _dir = Directory.CreateTempSubdirectory("skiff-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_NewPayload_PutsFilesBehindDataSymlinkAndVisibleLinks()
    {
        bool changed = AtomicWriter.Write(_dir, Payload(("a.txt", "one", Mode644), ("conf/b.txt", "two", UnixFileMode.UserRead)), Now);

        Assert.True(changed);
        Assert.Equal("one", File.ReadAllText(Path.Combine(_dir, "a.txt")));
        Assert.Equal("two", File.ReadAllText(Path.Combine(_dir, "conf", "b.txt")));
        Assert.Equal("..data/a.txt", new FileInfo(Path.Combine(_dir, "a.txt")).LinkTarget);
        Assert.Equal("..data/conf", new DirectoryInfo(Path.Combine(_dir, "conf")).LinkTarget);
        string ts = new FileInfo(Path.Combine(_dir, "..data")).LinkTarget!;
        Assert.StartsWith("..2026_01_02_03_04_05", ts, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(Path.Combine(_dir, ts, "conf", "b.txt")));
        Assert.Equal(Mode644, File.GetUnixFileMode(Path.Combine(_dir, ts, "a.txt")));
    }

    [Fact]
    public void Write_SamePayloadAgain_ChangesNothing()
    {
        AtomicWriter.Write(_dir, Payload(("a.txt", "one", Mode644)), Now);
        string before = new FileInfo(Path.Combine(_dir, "..data")).LinkTarget!;

        bool changed = AtomicWriter.Write(_dir, Payload(("a.txt", "one", Mode644)), Now.AddMinutes(1));

        Assert.False(changed);
        Assert.Equal(before, new FileInfo(Path.Combine(_dir, "..data")).LinkTarget);
    }

    [Fact]
    public void Write_ChangedPayload_SwapsDataAndRemovesTheOldDirectoryAndStaleNames()
    {
        AtomicWriter.Write(_dir, Payload(("a.txt", "one", Mode644), ("gone.txt", "x", Mode644)), Now);
        string old = new FileInfo(Path.Combine(_dir, "..data")).LinkTarget!;

        bool changed = AtomicWriter.Write(_dir, Payload(("a.txt", "uno", Mode644), ("new.txt", "nuevo", Mode644)), Now.AddSeconds(1));

        Assert.True(changed);
        Assert.Equal("uno", File.ReadAllText(Path.Combine(_dir, "a.txt")));
        Assert.Equal("nuevo", File.ReadAllText(Path.Combine(_dir, "new.txt")));
        Assert.False(Path.Exists(Path.Combine(_dir, "gone.txt")));
        Assert.False(Directory.Exists(Path.Combine(_dir, old)));
        Assert.False(Path.Exists(Path.Combine(_dir, "..data_tmp")));
        Assert.Equal(["..data", "a.txt", "new.txt"], Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).Where(n => !n!.StartsWith("..2", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Write_ModeChangeOnly_RewritesTheFile()
    {
        AtomicWriter.Write(_dir, Payload(("a.txt", "one", Mode644)), Now);

        bool changed = AtomicWriter.Write(_dir, Payload(("a.txt", "one", UnixFileMode.UserRead)), Now.AddSeconds(1));

        Assert.True(changed);
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(Path.Combine(_dir, "a.txt")));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../escape")]
    [InlineData("a/../../escape")]
    [InlineData("..data")]
    [InlineData("")]
    public void Write_PathOutsideTheVolume_IsRefusedBeforeWritingAnything(string path)
    {
        Assert.Throws<ArgumentException>(() => AtomicWriter.Write(_dir, Payload((path, "x", Mode644)), Now));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
    }

    [Fact]
    public void Write_EmptyPayload_LeavesOnlyTheDataLink()
    {
        AtomicWriter.Write(_dir, Payload(("a.txt", "one", Mode644)), Now);

        AtomicWriter.Write(_dir, Payload(), Now.AddSeconds(1));

        Assert.False(Path.Exists(Path.Combine(_dir, "a.txt")));
        Assert.True(Directory.Exists(Path.Combine(_dir, "..data")));
    }

    private static Dictionary<string, FileProjection> Payload(params (string Path, string Content, UnixFileMode Mode)[] files) =>
        files.ToDictionary(f => f.Path, f => new FileProjection(Encoding.UTF8.GetBytes(f.Content), f.Mode));
}
