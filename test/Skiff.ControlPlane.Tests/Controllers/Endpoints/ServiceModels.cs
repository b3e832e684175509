using k8s.Models;

namespace Skiff.ControlPlane.Tests.Controllers.Endpoints;

/// <summary>Services and pods for the Endpoints and EndpointSlice unit tests.</summary>
internal static class ServiceModels
{
    public static V1Service Service(string name = "web", string targetPort = "8080", bool headless = false, bool publishNotReady = false) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = "svc-uid", Labels = new Dictionary<string, string> { ["tier"] = "front" } },
        Spec = new V1ServiceSpec
        {
            Selector = new Dictionary<string, string> { ["app"] = "web" },
            ClusterIP = headless ? "None" : "10.43.0.10",
            PublishNotReadyAddresses = publishNotReady,
            Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = targetPort, Protocol = "TCP" }],
        },
    };

    public static V1Pod Pod(string name, string? ip, bool ready = true, string? portName = null, string app = "web", bool deleting = false, string? phase = null, string? node = null)
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = "default",
                Uid = "uid-" + name,
                Labels = new Dictionary<string, string> { ["app"] = app },
                DeletionTimestamp = deleting ? new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) : null,
            },
            Spec = new V1PodSpec
            {
                NodeName = node,
                Containers =
                [
                    new V1Container
                    {
                        Name = "web",
                        Image = "nginx",
                        Ports = portName is null ? null : [new V1ContainerPort { Name = portName, ContainerPort = 9090, Protocol = "TCP" }],
                    },
                ],
            },
            Status = new V1PodStatus { Phase = phase ?? "Running", PodIP = ip },
        };
        if (ready)
        {
            pod.Status.Conditions = [new V1PodCondition { Type = "Ready", Status = "True" }];
        }

        return pod;
    }
}
