using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.ApiServer.Tables;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// One served version of a CustomResourceDefinition: the catalog entry, the version's schema, printer and scale paths, and the
/// version objects are stored in (all versions share one key space; conversion strategy None only rewrites apiVersion).
/// </summary>
internal sealed class ServedCustomResource
{
    public ServedCustomResource(V1CustomResourceDefinition crd, V1CustomResourceDefinitionVersion version, ResourceInfo resource, string storageVersion)
    {
        ArgumentNullException.ThrowIfNull(crd);
        ArgumentNullException.ThrowIfNull(version);
        Crd = crd;
        Version = version;
        Resource = resource;
        StorageVersion = storageVersion;
        JsonObject? schema = version.Schema?.OpenAPIV3Schema is { } openApi
            ? JsonSerializer.SerializeToNode(openApi, SkiffJson.Options) as JsonObject
            : null;
        Schema = CustomResourceSchema.For(schema);
        IReadOnlyList<V1CustomResourceColumnDefinition> columns = version.AdditionalPrinterColumns is { Count: > 0 } given ? [.. given] : [AgeColumn()];
        Printer = new CustomResourceTablePrinter(columns);
    }

    /// <summary>The CRD as it was when this version started to be served.</summary>
    public V1CustomResourceDefinition Crd { get; }

    public V1CustomResourceDefinitionVersion Version { get; }

    /// <summary>The catalog entry (group, version, accepted names, scope, subresources).</summary>
    public ResourceInfo Resource { get; }

    /// <summary>The version name whose apiVersion stored objects carry.</summary>
    public string StorageVersion { get; }

    /// <summary>"group/storageVersion".</summary>
    public string StorageApiVersion => $"{Resource.Group}/{StorageVersion}";

    public CustomResourceSchema Schema { get; }

    /// <summary>The Table printer from the version's additionalPrinterColumns (Age alone when it has none, as upstream).</summary>
    public ITablePrinter Printer { get; }

    /// <summary>The status subresource is on: the main resource ignores status, /status changes only status.</summary>
    public bool HasStatus => Version.Subresources?.Status is not null;

    /// <summary>The scale subresource's JSON paths, when it is on.</summary>
    public V1CustomResourceSubresourceScale? Scale => Version.Subresources?.Scale;

    // Upstream serves this column when a version lists none (the CRD handler's default columns).
    private static V1CustomResourceColumnDefinition AgeColumn() => new()
    {
        Name = "Age",
        Type = "date",
        JsonPath = ".metadata.creationTimestamp",
        Description = Columns.CreationTimestampDescription,
    };
}
