using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Skiff.Machinery.Catalog;

/// <summary>
/// One object of a custom resource (a kind a CustomResourceDefinition serves). Only apiVersion, kind and metadata are typed;
/// every other field (spec, status, anything the schema allows) is kept as JSON in <see cref="Fields"/>, so an object
/// round-trips exactly. Which fields are unknown is the CRD schema's decision (pruning), never this type's.
/// </summary>
public sealed class CustomResource : IKubernetesObject<V1ObjectMeta>
{
    /// <summary>"group/version" of the object.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>The kind the CRD names.</summary>
    public string? Kind { get; set; }

    /// <summary>Standard object metadata.</summary>
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>Every top-level field other than apiVersion, kind and metadata, as given.</summary>
    [JsonExtensionData]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2227", Justification = "System.Text.Json fills extension data through the setter.")]
    public IDictionary<string, JsonElement>? Fields { get; set; }
}
