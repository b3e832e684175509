using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Skiff.Machinery.Informers;

/// <summary>
/// An object reduced to its apiVersion, kind and metadata (upstream's meta/v1 PartialObjectMetadata, which KubernetesClient
/// lacks): what a metadata informer keeps for any resource, so a component can follow every kind without its model type
/// or the memory its spec and status would take.
/// </summary>
public sealed class PartialObjectMetadata : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();
}
