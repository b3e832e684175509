using k8s;
using k8s.Models;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>
/// Per-kind rules the generic registry applies (upstream's RESTCreateStrategy and RESTUpdateStrategy): defaults, status
/// handling, validation and name rules. Objects are the typed k8s.Models instances.
/// </summary>
internal abstract class ResourceStrategy
{
    /// <summary>How names of this kind are checked.</summary>
    public virtual Func<string, string?> NameRule => Names.SubdomainProblem;

    /// <summary>Objects of this kind expire after this long (Events: 1 hour), or never.</summary>
    public virtual TimeSpan? TimeToLive => null;

    /// <summary>Whether writes to the main resource keep the stored status (the kind has a status subresource).</summary>
    public virtual bool PreservesStatus => true;

    /// <summary>
    /// Whether a completed DELETE answers with the object rather than Status Success (upstream's ReturnDeletedObject; the
    /// generated clients deserialize the answer as the kind).
    /// </summary>
    public virtual bool ReturnsDeletedObject => false;

    /// <summary>
    /// Works on a create or update body before it is decoded, after its apiVersion and kind were checked (custom resources
    /// apply their schema's defaults and prune unknown fields here, reporting them as the request's fieldValidation says).
    /// </summary>
    public virtual void PrepareJson(Skiff.Machinery.Catalog.ResourceInfo resource, System.Text.Json.Nodes.JsonObject json, WriteRequest request)
    {
    }

    /// <summary>Defaults and a reset status for a new object.</summary>
    public virtual void PrepareForCreate(IKubernetesObject<V1ObjectMeta> item, ApiContext context)
    {
    }

    /// <summary>Defaults that need the store (address allocation); runs <see cref="PrepareForCreate"/> by default.</summary>
    public virtual Task PrepareForCreateAsync(IKubernetesObject<V1ObjectMeta> item, ApiContext context, CancellationToken cancellationToken)
    {
        PrepareForCreate(item, context);
        return Task.CompletedTask;
    }

    /// <summary>Defaults for an updated object; <paramref name="old"/> is the stored one.</summary>
    public virtual void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta> old, ApiContext context)
    {
    }

    /// <summary>Field rules; <paramref name="old"/> is null on create.</summary>
    public virtual void Validate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta>? old, ValidationErrors errors)
    {
    }

    /// <summary>
    /// Checks that need the store (upstream's validating admission, such as Priority's single globalDefault); runs after
    /// <see cref="Validate"/> on create and update. <paramref name="old"/> is null on create.
    /// </summary>
    public virtual Task AdmitAsync(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta>? old, ApiContext context, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>
    /// Refuses a single-object DELETE by name before anything is read (upstream's REST.Delete override for the system
    /// PriorityClasses); DELETE on the collection does not ask, as upstream's does not.
    /// </summary>
    public virtual void ValidateDelete(string name)
    {
    }

    /// <summary>Gives back what the object holds (allocated addresses) once it is gone or was never stored.</summary>
    public virtual Task ReleaseAsync(IKubernetesObject<V1ObjectMeta> item, ApiContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// True while something other than metadata.finalizers holds the object after deletion (a namespace's spec.finalizers).
    /// </summary>
    public virtual bool DefersDeletion(IKubernetesObject<V1ObjectMeta> item) => false;

    /// <summary>How long a deletion waits for the object's owner to finish (pods: the kubelet); 0 removes it at once.</summary>
    public virtual long GracePeriodSeconds(IKubernetesObject<V1ObjectMeta> item, V1DeleteOptions? options) => 0;

    /// <summary>Marks an object whose deletion is deferred (namespaces turn Terminating).</summary>
    public virtual void PrepareForDeferredDeletion(IKubernetesObject<V1ObjectMeta> item)
    {
    }
}
