using k8s.Models;

namespace Skiff.ControlPlane.Tests.Controllers;

/// <summary>Small model builders for the controller unit tests.</summary>
internal static class Models
{
    public static V1PodTemplateSpec Template(string image = "nginx:1", Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Labels = labels ?? new Dictionary<string, string> { ["app"] = "web" } },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = image }] },
    };

    public static V1ReplicaSet ReplicaSet(string name, int replicas, string uid = "rs-uid", long generation = 1) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = uid, Generation = generation },
        Spec = new V1ReplicaSetSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Template = Template(),
        },
    };

    public static V1Pod Pod(string name, string? ownerUid = "rs-uid", bool ready = false, string? node = null, DateTime? created = null, DateTime? readySince = null)
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = "default",
                Labels = new Dictionary<string, string> { ["app"] = "web" },
                CreationTimestamp = created ?? new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
                OwnerReferences = ownerUid is null ? null : [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "rs", Uid = ownerUid, Controller = true }],
            },
            Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "web", Image = "nginx:1" }] },
            Status = new V1PodStatus { Phase = ready ? "Running" : "Pending" },
        };
        if (ready)
        {
            pod.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "True", LastTransitionTime = readySince ?? new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) }];
        }

        return pod;
    }

    public static V1Deployment Deployment(int replicas = 3, string image = "nginx:1", string? maxSurge = null, string? maxUnavailable = null, long generation = 1) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Uid = "dep-uid", Generation = generation },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Template = Template(image),
            Strategy = new V1DeploymentStrategy
            {
                Type = "RollingUpdate",
                RollingUpdate = new V1RollingUpdateDeployment
                {
                    MaxSurge = maxSurge is null ? null : (IntOrString)maxSurge,
                    MaxUnavailable = maxUnavailable is null ? null : (IntOrString)maxUnavailable,
                },
            },
            RevisionHistoryLimit = 10,
            ProgressDeadlineSeconds = 600,
        },
    };

    public static V1ReplicaSet WithStatus(this V1ReplicaSet rs, int replicas, int available, DateTime? created = null)
    {
        rs.Status = new V1ReplicaSetStatus { Replicas = replicas, ReadyReplicas = available, AvailableReplicas = available };
        rs.Metadata.CreationTimestamp = created ?? rs.Metadata.CreationTimestamp;
        return rs;
    }
}
