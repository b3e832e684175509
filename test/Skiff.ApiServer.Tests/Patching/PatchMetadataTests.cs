using System.Reflection;
using System.Text.Json.Serialization;
using k8s.Models;
using Skiff.ApiServer.Patching;

namespace Skiff.ApiServer.Tests.Patching;

/// <summary>The upstream patch-metadata table and its lookup.</summary>
public sealed class PatchMetadataTests
{
    [Theory]
    [InlineData(typeof(V1PodSpec), "containers", "merge", "name")]
    [InlineData(typeof(V1PodSpec), "volumes", "merge,retainKeys", "name")]
    [InlineData(typeof(V1PodSpec), "topologySpreadConstraints", "merge", "topologyKey")]
    [InlineData(typeof(V1Container), "ports", "merge", "containerPort")]
    [InlineData(typeof(V1Container), "volumeMounts", "merge", "mountPath")]
    [InlineData(typeof(V1ServiceSpec), "ports", "merge", "port")]
    [InlineData(typeof(V1ObjectMeta), "ownerReferences", "merge", "uid")]
    [InlineData(typeof(V1ObjectMeta), "finalizers", "merge", null)]
    [InlineData(typeof(V1DeploymentSpec), "strategy", "retainKeys", null)]
    public void For_TaggedUpstreamField_ReturnsUpstreamStrategyAndKey(Type type, string field, string strategy, string? mergeKey)
    {
        PatchFieldMetadata? metadata = PatchMetadata.For(type, field);

        Assert.NotNull(metadata);
        Assert.Equal(strategy, metadata.Strategy);
        Assert.Equal(mergeKey, metadata.MergeKey);
    }

    [Fact]
    public void For_VolumesField_ReportsMergeAndRetainKeys()
    {
        PatchFieldMetadata metadata = PatchMetadata.For(typeof(V1PodSpec), "volumes")!;

        Assert.True(metadata.IsMerge);
        Assert.True(metadata.RetainKeys);
        Assert.False(metadata.IsReplace);
    }

    [Theory]
    [InlineData(typeof(V1Container), "args")]
    [InlineData(typeof(V1PodSpec), "nodeSelector")]
    [InlineData(typeof(V1Pod), "containers")]
    public void For_UntaggedField_ReturnsNull(Type type, string field)
    {
        Assert.Null(PatchMetadata.For(type, field));
    }

    [Fact]
    public void All_EveryEntry_NamesAJsonPropertyOfItsModelType()
    {
        var missing = PatchMetadata.All.Keys
            .Where(k => !k.Type.GetProperties().Any(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name == k.Field))
            .Select(k => $"{k.Type.Name}.{k.Field}")
            .ToList();

        Assert.Empty(missing);
    }

    [Fact]
    public void All_MergeListsOfObjects_HaveAMergeKeyPresentOnTheElementType()
    {
        var wrong = new List<string>();
        foreach (((Type type, string field), PatchFieldMetadata metadata) in PatchMetadata.All)
        {
            if (!metadata.IsMerge || metadata.MergeKey is null)
            {
                continue;
            }

            Type propertyType = type.GetProperties().First(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name == field).PropertyType;
            Type element = propertyType.GetGenericArguments()[0];
            if (!element.GetProperties().Any(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name == metadata.MergeKey))
            {
                wrong.Add($"{type.Name}.{field} by {metadata.MergeKey}");
            }
        }

        Assert.Empty(wrong);
    }
}
