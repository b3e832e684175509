using k8s.Models;
using Skiff.Agent.Kubelet.Config;
using Skiff.Agent.Kubelet.Volumes;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Kubelet.Volumes;

public sealed class PodVolumesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("skiff-podvolumes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void MountsFor_MapsMountPathReadOnlyAndPropagation_AndForcesReadOnlyOnKubeletOwnedVolumes()
    {
        PodVolumes volumes = Volumes(("data", false), ("config", true));
        var container = new V1Container
        {
            Name = "app",
            VolumeMounts =
            [
                new V1VolumeMount { Name = "data", MountPath = "/data", MountPropagation = "HostToContainer" },
                new V1VolumeMount { Name = "data", MountPath = "/ro", ReadOnlyProperty = true },
                new V1VolumeMount { Name = "config", MountPath = "/etc/config" },
            ],
        };

        IReadOnlyList<Mount> mounts = volumes.MountsFor(container);

        Assert.Equal(3, mounts.Count);
        Assert.Equal(("/data", Path.Combine(_dir, "data"), false, MountPropagation.PropagationHostToContainer),
            (mounts[0].ContainerPath, mounts[0].HostPath, mounts[0].Readonly, mounts[0].Propagation));
        Assert.True(mounts[1].Readonly);
        Assert.True(mounts[2].Readonly);
    }

    [Fact]
    public void MountsFor_SubPathInEmptyDir_IsCreated()
    {
        PodVolumes volumes = Volumes(("data", false));

        Mount mount = Assert.Single(volumes.MountsFor(Container(new V1VolumeMount { Name = "data", MountPath = "/logs", SubPath = "logs/app" })));

        Assert.Equal(Path.Combine(_dir, "data", "logs", "app"), mount.HostPath);
        Assert.True(Directory.Exists(mount.HostPath));
    }

    [Fact]
    public void MountsFor_SubPathExpr_ExpandsEnvAndEscapes()
    {
        PodVolumes volumes = Volumes(("data", false));
        V1Container container = Container(new V1VolumeMount { Name = "data", MountPath = "/logs", SubPathExpr = "$(POD_NAME)-$$x-$(UNKNOWN)" });
        container.Env = [new V1EnvVar { Name = "POD_NAME", Value = "web-1" }];

        Mount mount = Assert.Single(volumes.MountsFor(container));

        Assert.Equal(Path.Combine(_dir, "data", "web-1-$x-$(UNKNOWN)"), mount.HostPath);
    }

    [Theory]
    [InlineData("../other")]
    [InlineData("/etc")]
    [InlineData("a/../../other")]
    public void MountsFor_SubPathLeavingTheVolume_IsAConfigError(string subPath)
    {
        PodVolumes volumes = Volumes(("data", false));

        Assert.Throws<ContainerConfigException>(() => volumes.MountsFor(Container(new V1VolumeMount { Name = "data", MountPath = "/x", SubPath = subPath })));
    }

    [Fact]
    public void MountsFor_SubPathThroughASymlinkOutOfTheVolume_IsRefused()
    {
        PodVolumes volumes = Volumes(("data", false));
        File.CreateSymbolicLink(Path.Combine(_dir, "data", "evil"), "/etc");

        ContainerConfigException error = Assert.Throws<ContainerConfigException>(() =>
            volumes.MountsFor(Container(new V1VolumeMount { Name = "data", MountPath = "/x", SubPath = "evil" })));

        Assert.Contains("outside the volume", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MountsFor_MissingSubPathInConfigMapVolume_IsRefused()
    {
        PodVolumes volumes = Volumes(("config", true));

        Assert.Throws<ContainerConfigException>(() => volumes.MountsFor(Container(new V1VolumeMount { Name = "config", MountPath = "/x", SubPath = "nope" })));
    }

    private static V1Container Container(V1VolumeMount mount) => new() { Name = "app", VolumeMounts = [mount] };

    private PodVolumes Volumes(params (string Name, bool KubeletOwned)[] volumes)
    {
        var prepared = new Dictionary<string, PreparedVolume>();
        foreach ((string name, bool owned) in volumes)
        {
            string path = Path.Combine(_dir, name);
            Directory.CreateDirectory(path);
            prepared[name] = new PreparedVolume(path, ForceReadOnly: owned, CreateSubPaths: !owned);
        }

        return new PodVolumes(prepared);
    }
}
