using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Skiff.Machinery.Catalog;

/// <summary>A list of <see cref="CustomResource"/> objects (the <c>&lt;Kind&gt;List</c> of a custom resource).</summary>
public sealed class CustomResourceList : IKubernetesObject<V1ListMeta>, IItems<CustomResource>
{
    /// <summary>"group/version" of the list.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>The CRD's listKind.</summary>
    public string? Kind { get; set; }

    /// <summary>The list's resourceVersion and continue token.</summary>
    public V1ListMeta Metadata { get; set; } = new();

    /// <summary>The objects.</summary>
    [JsonPropertyName("items")]
    public IList<CustomResource> Items { get; set; } = [];
}
