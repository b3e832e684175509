using System.Text;
using k8s.Models;
using Skiff.Agent.Kubelet.Volumes;

namespace Skiff.Agent.Tests.Kubelet.Volumes;

public sealed class DownwardApiFilesTests
{
    private static readonly NodeAllocatable Node = new(4, 8L * 1024 * 1024 * 1024, 100L * 1024 * 1024 * 1024);

    [Fact]
    public void FormatMap_SortsKeysAndQuotesValuesAsGo()
    {
        var labels = new Dictionary<string, string> { ["zone"] = "a\"b", ["app"] = "web", ["note"] = "line1\nline2\\" };

        Assert.Equal("app=\"web\"\nnote=\"line1\\nline2\\\\\"\nzone=\"a\\\"b\"", DownwardApiFiles.FormatMap(labels));
    }

    [Fact]
    public void Build_FieldRefs_WriteMetadataWithModes()
    {
        V1Pod pod = Pod();
        V1DownwardAPIVolumeFile[] items =
        [
            new() { Path = "name", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } },
            new() { Path = "ns", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.namespace" }, Mode = 256 },
            new() { Path = "labels", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.labels" } },
            new() { Path = "tier", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.labels['tier']" } },
            new() { Path = "uid", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.uid" } },
        ];

        Dictionary<string, FileProjection> files = DownwardApiFiles.Build(pod, items, 420, Node);

        Assert.Equal("web-1", Text(files["name"]));
        Assert.Equal("shop", Text(files["ns"]));
        Assert.Equal(UnixFileMode.UserRead, files["ns"].Mode);
        Assert.Equal((UnixFileMode)420, files["name"].Mode);
        Assert.Equal("app=\"web\"\ntier=\"front\"", Text(files["labels"]));
        Assert.Equal("front", Text(files["tier"]));
        Assert.Equal("u-1", Text(files["uid"]));
    }

    [Theory]
    [InlineData("limits.cpu", null, "1")]
    [InlineData("limits.cpu", "1m", "500")]
    [InlineData("requests.cpu", "1m", "250")]
    [InlineData("limits.memory", "1Mi", "64")]
    [InlineData("requests.memory", null, "0")]
    [InlineData("limits.ephemeral-storage", "1Gi", "100")]
    public void ResourceValue_DividesAndRoundsUp_LimitsDefaultToTheNode(string resource, string? divisor, string expected)
    {
        var selector = new V1ResourceFieldSelector { ContainerName = "app", Resource = resource, Divisor = divisor is null ? null : new ResourceQuantity(divisor) };

        Assert.Equal(expected, DownwardApiFiles.ResourceValue(Pod(), selector, Node));
    }

    [Fact]
    public void FieldValue_Unsupported_Throws()
    {
        Assert.Throws<VolumeMountException>(() => DownwardApiFiles.FieldValue(Pod(), "spec.nodeName"));
    }

    private static string Text(FileProjection file) => Encoding.UTF8.GetString(file.Content);

    private static V1Pod Pod() => new()
    {
        Metadata = new V1ObjectMeta { Name = "web-1", NamespaceProperty = "shop", Uid = "u-1", Labels = new Dictionary<string, string> { ["tier"] = "front", ["app"] = "web" } },
        Spec = new V1PodSpec
        {
            Containers =
            [
                new V1Container
                {
                    Name = "app",
                    Resources = new V1ResourceRequirements
                    {
                        Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("500m"), ["memory"] = new("64Mi") },
                        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("250m") },
                    },
                },
            ],
        },
    };
}
