using k8s.Models;
using Skiff.Agent.Proxy;

namespace Skiff.Agent.Tests.Proxy;

/// <summary>Builders for the Services and EndpointSlices the proxy tests feed in (selectorless, as a user writes them by hand).</summary>
internal static class ProxyObjects
{
    public static V1Service Service(
        string name, string clusterIp, int port = 80, string type = "ClusterIP", int? nodePort = null, string ns = "default", string protocol = "TCP",
        string? portName = null)
    {
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            Spec = new V1ServiceSpec
            {
                Type = type,
                ClusterIP = clusterIp,
                ClusterIPs = clusterIp == "None" ? null : [clusterIp],
                Ports = [new V1ServicePort { Name = portName, Port = port, Protocol = protocol, NodePort = nodePort, TargetPort = port }],
            },
        };
        return service;
    }

    public static V1EndpointSlice Slice(string service, int port, IEnumerable<V1Endpoint> endpoints, string ns = "default", string? name = null, string protocol = "TCP", string? portName = null) => new()
    {
        AddressType = "IPv4",
        Metadata = new V1ObjectMeta
        {
            Name = name ?? service + "-1",
            NamespaceProperty = ns,
            Labels = new Dictionary<string, string> { [ServicePortBuilder.ServiceNameLabel] = service, ["endpointslice.kubernetes.io/managed-by"] = "skiff-tests" },
        },
        Ports = [new Discoveryv1EndpointPort { Name = portName, Port = port, Protocol = protocol }],
        Endpoints = [.. endpoints],
    };

    public static V1Endpoint Endpoint(string ip, bool ready = true, string? node = null, bool? serving = null, bool terminating = false) => new()
    {
        Addresses = [ip],
        NodeName = node,
        Conditions = new V1EndpointConditions { Ready = ready, Serving = serving ?? ready, Terminating = terminating },
    };
}
