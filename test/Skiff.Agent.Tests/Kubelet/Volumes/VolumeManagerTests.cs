using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Kubelet.Volumes;

namespace Skiff.Agent.Tests.Kubelet.Volumes;

/// <summary>Volumes that need no API: emptyDir (disk and Memory), hostPath, unsupported types, and cleanup (needs root for tmpfs).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VolumeManagerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("skiff-volumes-").FullName;
    private readonly Kubernetes _client = new(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" });
    private readonly VolumeManager _manager;

    public VolumeManagerTests()
    {
        var options = new KubeletOptions { NodeName = "n", InternalIp = "127.0.0.1", DataDir = Path.Combine(_dir, "kubelet") };
        _manager = new VolumeManager(_client, options, NullLogger.Instance, TimeProvider.System);
    }

    public void Dispose()
    {
        _client.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task PrepareAsync_EmptyDirs_DiskIsADirectoryAndMemoryIsASizedTmpfs_CleanupUnmountsAndRemovesWithoutFollowingLinks()
    {
        string outside = Path.Combine(_dir, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "keep.txt"), "keep");
        V1Pod pod = Pod(
            new V1Volume { Name = "scratch", EmptyDir = new V1EmptyDirVolumeSource() },
            new V1Volume { Name = "cache", EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity("1Mi") } },
            new V1Volume { Name = "host", HostPath = new V1HostPathVolumeSource { Path = outside, Type = "Directory" } });

        PodVolumes volumes = await _manager.PrepareAsync(pod, CancellationToken.None);

        string podDir = _manager.PodDir("uid-1");
        string scratch = Path.Combine(podDir, "volumes", VolumeManager.EmptyDirPlugin, "scratch");
        string cache = Path.Combine(podDir, "volumes", VolumeManager.EmptyDirPlugin, "cache");
        Assert.Equal(scratch, volumes.Volumes["scratch"].HostPath);
        Assert.Equal(outside, volumes.Volumes["host"].HostPath);
        Assert.Equal((UnixFileMode)0x1FF, File.GetUnixFileMode(scratch));
        string mount = File.ReadLines("/proc/self/mountinfo").Single(l => l.Split(' ')[4] == cache);
        Assert.Contains(" - tmpfs ", mount, StringComparison.Ordinal);
        Assert.Contains("size=1024k", mount, StringComparison.Ordinal);

        File.CreateSymbolicLink(Path.Combine(scratch, "link"), outside);
        File.WriteAllText(Path.Combine(cache, "in-memory"), "x");
        _manager.Cleanup("uid-1");

        Assert.False(Directory.Exists(podDir));
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(podDir, StringComparison.Ordinal));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(outside, "keep.txt")));
    }

    [Fact]
    public async Task PrepareAsync_PersistentVolumeClaim_IsNotSupportedYet()
    {
        V1Pod pod = Pod(new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "c" } });

        VolumeMountException error = await Assert.ThrowsAsync<VolumeMountException>(() => _manager.PrepareAsync(pod, CancellationToken.None));

        Assert.Equal("volume \"data\": persistentVolumeClaim volumes are not supported yet", error.Message);
    }

    [Fact]
    public async Task PrepareAsync_HostPathOfWrongType_Throws()
    {
        string file = Path.Combine(_dir, "file");
        File.WriteAllText(file, "x");
        V1Pod pod = Pod(new V1Volume { Name = "h", HostPath = new V1HostPathVolumeSource { Path = file, Type = "Directory" } });

        await Assert.ThrowsAsync<VolumeMountException>(() => _manager.PrepareAsync(pod, CancellationToken.None));
    }

    private static V1Pod Pod(params V1Volume[] volumes) => new()
    {
        Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "default", Uid = "uid-1" },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app" }], Volumes = volumes },
    };
}
