using k8s;
using k8s.Models;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Admission;

/// <summary>The operation being admitted, named as AdmissionReview names it.</summary>
public enum AdmissionOperation
{
    Create,
    Update,
    Delete,
    Connect,
}

/// <summary>
/// One write as admission plugins see it (upstream's admission.Attributes). <see cref="Object"/> is the typed object being
/// written: mutating plugins change it in place or replace it; validating plugins only read it. On DELETE it is null and
/// <see cref="OldObject"/> is the stored object.
/// </summary>
internal sealed class AdmissionAttributes
{
    public required ResourceInfo Resource { get; init; }

    public string? Subresource { get; init; }

    /// <summary>
    /// The resource (version) the client asked for when it differs from <see cref="Resource"/>, the stored version the object
    /// is in (autoscaling/v1 for an HPA stored as v2); webhooks see it as requestResource and match on it. Null: the same.
    /// </summary>
    public ResourceInfo? RequestResource { get; init; }

    public required AdmissionOperation Operation { get; init; }

    public string? Namespace { get; init; }

    public required string Name { get; init; }

    public required UserInfo User { get; init; }

    public bool DryRun { get; init; }

    /// <summary>The object as it will be stored; null on DELETE.</summary>
    public IKubernetesObject<V1ObjectMeta>? Object { get; set; }

    /// <summary>The stored object on UPDATE and DELETE; null on CREATE.</summary>
    public IKubernetesObject<V1ObjectMeta>? OldObject { get; init; }

    /// <summary>The operation's options (CreateOptions, UpdateOptions, DeleteOptions) for AdmissionReview, or null.</summary>
    public object? Options { get; init; }

    /// <summary>The clock and the store, as strategies have them.</summary>
    public required ApiContext Context { get; init; }

    /// <summary>Warnings to return in Warning headers (webhooks may add some).</summary>
    public List<string> Warnings { get; init; } = [];

    /// <summary>Annotations for the audit event (upstream's audit annotations from admission).</summary>
    public Dictionary<string, string> AuditAnnotations { get; init; } = [];
}
