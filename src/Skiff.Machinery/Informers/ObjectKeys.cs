using k8s;
using k8s.Models;

namespace Skiff.Machinery.Informers;

/// <summary>The keys informers, caches and work queues use: "namespace/name", or "name" for cluster-scoped objects.</summary>
public static class ObjectKeys
{
    public static string Of(IKubernetesObject<V1ObjectMeta> obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return Of(obj.Metadata?.NamespaceProperty, obj.Metadata?.Name ?? string.Empty);
    }

    public static string Of(string? @namespace, string name) =>
        string.IsNullOrEmpty(@namespace) ? name : @namespace + "/" + name;
}
