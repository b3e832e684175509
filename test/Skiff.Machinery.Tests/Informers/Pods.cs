using k8s.Models;

namespace Skiff.Machinery.Tests.Informers;

internal static class Pods
{
    public static V1Pod Make(string name, string? resourceVersion, string? nodeName = null, string? ownerUid = null, string ns = "default") => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = ns,
            ResourceVersion = resourceVersion,
            OwnerReferences = ownerUid is null ? null : [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "rs", Uid = ownerUid }],
        },
        Spec = new V1PodSpec { NodeName = nodeName, Containers = [new V1Container { Name = "app", Image = "nginx" }] },
    };
}
