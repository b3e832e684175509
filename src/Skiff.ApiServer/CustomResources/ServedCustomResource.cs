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
    /// <param name="crd">The CRD.</param>
    /// <param name="version">The served version.</param>
    /// <param name="resource">Its catalog entry.</param>
    /// <param name="storageVersion">The version objects are stored in.</param>
    /// <param name="previous">The schema this version was served with before, reused when the schema is the same.</param>
    public ServedCustomResource(V1CustomResourceDefinition crd, V1CustomResourceDefinitionVersion version, ResourceInfo resource, string storageVersion, CustomResourceSchema? previous = null)
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
        Schema = previous is not null && JsonNode.DeepEquals(previous.Schema, schema) ? previous : CustomResourceSchema.For(schema);
        Printer = new CustomResourceTablePrinter([.. version.AdditionalPrinterColumns ?? []]);
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

}
