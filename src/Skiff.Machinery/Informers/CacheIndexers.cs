using k8s;
using k8s.Models;

namespace Skiff.Machinery.Informers;

/// <summary>The common index functions for an <see cref="InformerCache{T}"/>, and their names.</summary>
public static class CacheIndexers
{
    /// <summary>Objects by metadata.namespace (cluster-scoped objects are not indexed).</summary>
    public const string Namespace = "namespace";

    /// <summary>Objects by the UID of each of their ownerReferences: how a controller finds what it owns.</summary>
    public const string OwnerUid = "ownerUid";

    /// <summary>Pods by spec.nodeName (unscheduled pods are not indexed).</summary>
    public const string NodeName = "spec.nodeName";

    public static IEnumerable<string> ByNamespace(IKubernetesObject<V1ObjectMeta> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return string.IsNullOrEmpty(obj.Metadata?.NamespaceProperty) ? [] : [obj.Metadata.NamespaceProperty];
    }

    public static IEnumerable<string> ByOwnerUid(IKubernetesObject<V1ObjectMeta> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        IList<V1OwnerReference>? owners = obj.Metadata?.OwnerReferences;
        return owners is null ? [] : owners.Select(o => o?.Uid).OfType<string>().Where(u => u.Length > 0).ToArray();
    }

    public static IEnumerable<string> ByNodeName(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return string.IsNullOrEmpty(pod.Spec?.NodeName) ? [] : [pod.Spec.NodeName];
    }

    /// <summary>The namespace and owner indexes, which every namespaced informer of the factory gets.</summary>
    public static IReadOnlyDictionary<string, Func<T, IEnumerable<string>>> Default<T>()
        where T : IKubernetesObject<V1ObjectMeta> =>
        new Dictionary<string, Func<T, IEnumerable<string>>>
        {
            [Namespace] = o => ByNamespace(o),
            [OwnerUid] = o => ByOwnerUid(o),
        };
}
