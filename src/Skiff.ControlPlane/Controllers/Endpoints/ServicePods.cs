using System.Globalization;
using System.Net.Sockets;
using k8s.Models;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Controllers.Endpoints;

/// <summary>
/// What the Endpoints and EndpointSlice controllers agree on about a Service and its pods (upstream's endpointutil and
/// endpointsliceutil): which pods back a Service, their address, and the port each Service port resolves to on each pod.
/// </summary>
internal static class ServicePods
{
    public const string HeadlessLabel = "service.kubernetes.io/headless";
    public const string LastChangeTriggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time";

    /// <summary>
    /// Services without a selector are user-managed, and ExternalName Services are a DNS alias: neither controller
    /// touches their endpoints.
    /// </summary>
    public static bool HasSelector(V1Service service) => service.Spec?.Selector is { Count: > 0 } && service.Spec.Type != "ExternalName";

    public static bool IsHeadless(V1Service service) => service.Spec?.ClusterIP == "None";

    public static bool Matches(V1Service service, V1Pod pod) =>
        HasSelector(service)
        && pod.Metadata?.NamespaceProperty == service.Metadata?.NamespaceProperty
        && LabelSelector.FromModel(new V1LabelSelector { MatchLabels = service.Spec.Selector }).Matches(pod.Metadata?.Labels as IReadOnlyDictionary<string, string>);

    /// <summary>
    /// A pod is an endpoint once it has an IP, while it is not finished; a pod being deleted only with
    /// <paramref name="includeTerminating"/> (the pod-deletion flow: its IP leaves Endpoints as soon as it is marked).
    /// </summary>
    public static bool ShouldBeInEndpoints(V1Pod pod, bool includeTerminating)
    {
        if (pod.Status?.Phase is "Succeeded" or "Failed")
        {
            return false;
        }

        if (PodIP(pod) is null)
        {
            return false;
        }

        return includeTerminating || pod.Metadata?.DeletionTimestamp is null;
    }

    /// <summary>The pod's IPv4 address (status.podIP, else the first IPv4 entry of status.podIPs).</summary>
    public static string? PodIP(V1Pod pod)
    {
        if (IsIPv4(pod.Status?.PodIP))
        {
            return pod.Status!.PodIP;
        }

        return pod.Status?.PodIPs?.Select(p => p?.Ip).FirstOrDefault(IsIPv4);
    }

    public static bool IsReady(V1Pod pod) => PodControl.IsReady(pod);

    /// <summary>
    /// The container port a Service port reaches on this pod: a number as is; a name looked up among the pod's container
    /// ports with the same protocol; null when the pod has no such named port (it is then left out for that port).
    /// </summary>
    public static int? FindPort(V1Pod pod, V1ServicePort servicePort)
    {
        string? target = servicePort.TargetPort?.Value;
        if (string.IsNullOrEmpty(target))
        {
            return servicePort.Port;
        }

        if (int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            return number;
        }

        string protocol = servicePort.Protocol ?? "TCP";
        foreach (V1Container container in pod.Spec?.Containers ?? [])
        {
            foreach (V1ContainerPort port in container?.Ports ?? [])
            {
                if (port?.Name == target && (port.Protocol ?? "TCP") == protocol)
                {
                    return port.ContainerPort;
                }
            }
        }

        return null;
    }

    /// <summary>The pod's hostname is published only when it names this Service as its subdomain (headless DNS records).</summary>
    public static string? Hostname(V1Pod pod, V1Service service) =>
        !string.IsNullOrEmpty(pod.Spec?.Hostname) && pod.Spec.Subdomain == service.Metadata?.Name && pod.Metadata?.NamespaceProperty == service.Metadata?.NamespaceProperty
            ? pod.Spec.Hostname
            : null;

    public static V1ObjectReference PodReference(V1Pod pod) => new()
    {
        Kind = "Pod",
        NamespaceProperty = pod.Metadata?.NamespaceProperty,
        Name = pod.Metadata?.Name,
        Uid = pod.Metadata?.Uid,
    };

    private static bool IsIPv4(string? ip) =>
        !string.IsNullOrEmpty(ip) && System.Net.IPAddress.TryParse(ip, out System.Net.IPAddress? parsed) && parsed.AddressFamily == AddressFamily.InterNetwork;
}
