using k8s;
using k8s.Models;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>Namespaces: DNS-label names, the kubernetes finalizer, Active status, and Terminating on delete.</summary>
internal sealed class NamespaceStrategy : ResourceStrategy
{
    public override Func<string, string?> NameRule => Names.LabelProblem;

    public override bool ReturnsDeletedObject => true;

    public override void PrepareForCreate(IKubernetesObject<V1ObjectMeta> item, ApiContext context)
    {
        var ns = (V1Namespace)item;
        ns.Spec = new V1NamespaceSpec { Finalizers = ["kubernetes"] };
        ns.Status = new V1NamespaceStatus { Phase = "Active" };
        SetNameLabel(ns);
    }

    public override void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta> old, ApiContext context)
    {
        var ns = (V1Namespace)item;
        var previous = (V1Namespace)old;

        // spec.finalizers change only through /finalize, which the registry routes here with the new spec intact.
        ns.Spec ??= previous.Spec;
        SetNameLabel(ns);
    }

    public override bool DefersDeletion(IKubernetesObject<V1ObjectMeta> item) => ((V1Namespace)item).Spec?.Finalizers is { Count: > 0 };

    public override void PrepareForDeferredDeletion(IKubernetesObject<V1ObjectMeta> item)
    {
        var ns = (V1Namespace)item;
        ns.Status ??= new V1NamespaceStatus();
        ns.Status.Phase = "Terminating";
    }

    private static void SetNameLabel(V1Namespace ns)
    {
        ns.Metadata.Labels ??= new Dictionary<string, string>();
        ns.Metadata.Labels["kubernetes.io/metadata.name"] = ns.Metadata.Name;
    }
}
