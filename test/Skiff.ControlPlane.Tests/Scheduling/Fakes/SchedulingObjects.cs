using k8s.Models;

namespace Skiff.ControlPlane.Tests.Scheduling.Fakes;

/// <summary>Pods and nodes for the scheduler tests.</summary>
internal static class SchedulingObjects
{
    public static V1Pod Pod(string name, int? priority = null, string? uid = null, string? schedulerName = null, string? cpu = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = uid ?? $"uid-{name}" },
        Spec = new V1PodSpec
        {
            Priority = priority,
            SchedulerName = schedulerName,
            Containers =
            [
                new V1Container
                {
                    Name = "app",
                    Resources = cpu is null ? null : new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu) } },
                },
            ],
        },
    };

    public static V1Node Node(string name, string cpu = "4", Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Status = new V1NodeStatus
        {
            Allocatable = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new("8Gi"), ["pods"] = new("110") },
        },
    };

    public static V1Pod BoundPod(string name, string nodeName, string? cpu = null)
    {
        V1Pod pod = Pod(name, cpu: cpu);
        pod.Spec.NodeName = nodeName;
        return pod;
    }
}
