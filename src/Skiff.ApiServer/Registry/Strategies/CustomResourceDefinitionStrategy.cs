using k8s;
using k8s.Models;
using Skiff.ApiServer.CustomResources;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>
/// CustomResourceDefinitions: upstream's validation (<see cref="CustomResourceDefinitionValidation"/>), the cleanup finalizer
/// that lets the API server delete a CRD's objects before the CRD goes, and status.storedVersions, which always lists the
/// storage version. Conversion webhooks are refused: this server converts only with strategy None.
/// </summary>
internal sealed class CustomResourceDefinitionStrategy : ResourceStrategy
{
    /// <summary>Upstream's finalizer: the CRD stays until its objects are deleted.</summary>
    public const string CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    public override void PrepareForCreate(IKubernetesObject<V1ObjectMeta> item, ApiContext context)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item is not V1CustomResourceDefinition crd)
        {
            return;
        }

        crd.Metadata.Finalizers ??= [];
        if (!crd.Metadata.Finalizers.Contains(CleanupFinalizer))
        {
            crd.Metadata.Finalizers.Add(CleanupFinalizer);
        }

        CustomResourceDefinitionDefaults.Apply(crd);
        crd.Status = new V1CustomResourceDefinitionStatus { StoredVersions = [] };
        AddStorageVersion(crd);
    }

    public override void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta> old, ApiContext context)
    {
        if (item is V1CustomResourceDefinition crd)
        {
            CustomResourceDefinitionDefaults.Apply(crd);
            AddStorageVersion(crd);
        }
    }

    public override void Validate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta>? old, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (item is not V1CustomResourceDefinition crd)
        {
            return;
        }

        CustomResourceDefinitionValidation.Validate(crd, old as V1CustomResourceDefinition, errors);
        if (crd.Spec?.Conversion?.Strategy is "Webhook")
        {
            errors.NotSupported("spec.conversion.strategy", "Webhook", ["None"]);
        }
    }

    private static void AddStorageVersion(V1CustomResourceDefinition crd)
    {
        if (crd.Spec?.Versions?.FirstOrDefault(v => v.Storage) is not { } storage)
        {
            return;
        }

        crd.Status ??= new V1CustomResourceDefinitionStatus();
        crd.Status.StoredVersions ??= [];
        if (!crd.Status.StoredVersions.Contains(storage.Name))
        {
            crd.Status.StoredVersions.Add(storage.Name);
        }
    }
}
