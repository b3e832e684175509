using System.Text;
using k8s.Models;
using Skiff.Machinery.Json;

namespace Skiff.Machinery.Tests.Json;

public sealed class SkiffJsonTests
{
    [Fact]
    public void ToBytes_Pod_WritesCamelCaseRfc3339AndQuantitiesAndOmitsNulls()
    {
        var pod = new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "web", CreationTimestamp = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc) },
            Spec = new V1PodSpec
            {
                Containers = [new V1Container { Name = "app", Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("500m") } } }],
            },
        };

        string json = Encoding.UTF8.GetString(SkiffJson.ToBytes(pod));

        Assert.Contains("\"creationTimestamp\":\"2026-01-02T03:04:05Z\"", json, StringComparison.Ordinal);
        Assert.Contains("\"cpu\":\"500m\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("null", json, StringComparison.Ordinal);
        Assert.Equal("web", SkiffJson.FromBytes<V1Pod>(Encoding.UTF8.GetBytes(json))!.Metadata.Name);
    }
}
