using System.Net;
using System.Net.Sockets;
using k8s.Models;

namespace Skiff.Agent.Proxy;

/// <summary>
/// Turns Services and EndpointSlices (discovery.k8s.io/v1, IPv4) into <see cref="ProxyServicePort"/>s: headless and
/// ExternalName Services are skipped, slices join their Service through the <c>kubernetes.io/service-name</c> label and a
/// Service port takes the slice port of the same name and protocol. Topology hints are honoured as kube-proxy does: when every
/// endpoint carries zone hints and one names this node's zone, only those are used for cluster traffic.
/// </summary>
public static class ServicePortBuilder
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";
    public const string ZoneLabel = "topology.kubernetes.io/zone";

    public static IReadOnlyList<ProxyServicePort> Build(IEnumerable<V1Service> services, IEnumerable<V1EndpointSlice> slices, string nodeName, V1Node? node)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(slices);
        var byService = new Dictionary<string, List<V1EndpointSlice>>(StringComparer.Ordinal);
        foreach (V1EndpointSlice slice in slices)
        {
            if (slice.AddressType != "IPv4" || slice.Metadata?.Labels is not { } labels || !labels.TryGetValue(ServiceNameLabel, out string? service))
            {
                continue;
            }

            string key = slice.Metadata.NamespaceProperty + "/" + service;
            if (!byService.TryGetValue(key, out List<V1EndpointSlice>? list))
            {
                byService[key] = list = [];
            }

            list.Add(slice);
        }

        string? zone = null;
        node?.Metadata?.Labels?.TryGetValue(ZoneLabel, out zone);
        var result = new List<ProxyServicePort>();
        foreach (V1Service service in services)
        {
            AddPorts(service, byService, nodeName, zone, result);
        }

        result.Sort((a, b) => string.CompareOrdinal(a.DisplayName + "/" + a.Protocol, b.DisplayName + "/" + b.Protocol));
        return result;
    }

    private static void AddPorts(V1Service service, Dictionary<string, List<V1EndpointSlice>> byService, string nodeName, string? zone, List<ProxyServicePort> result)
    {
        V1ServiceSpec? spec = service.Spec;
        string? clusterIp = spec?.ClusterIP;
        if (spec is null || spec.Type == "ExternalName" || !IsIPv4(clusterIp))
        {
            return;
        }

        string ns = service.Metadata?.NamespaceProperty ?? "default";
        string name = service.Metadata?.Name ?? "";
        List<string> external = [.. (service.Status?.LoadBalancer?.Ingress ?? []).Select(i => i.Ip).Where(IsIPv4).Select(ip => ip!)];
        external.AddRange((spec.ExternalIPs ?? []).Where(IsIPv4));
        byService.TryGetValue(ns + "/" + name, out List<V1EndpointSlice>? slices);
        foreach (V1ServicePort port in spec.Ports ?? [])
        {
            string protocol = (port.Protocol ?? "TCP").ToUpperInvariant();
            if (protocol is not ("TCP" or "UDP" or "SCTP"))
            {
                continue;
            }

            result.Add(new ProxyServicePort
            {
                Namespace = ns,
                Name = name,
                PortName = port.Name ?? "",
                Protocol = protocol.ToLowerInvariant(),
                ClusterIp = clusterIp!,
                Port = port.Port,
                NodePort = spec.Type is "NodePort" or "LoadBalancer" ? port.NodePort ?? 0 : 0,
                ExternalAddresses = spec.Type == "LoadBalancer" ? external : [.. (spec.ExternalIPs ?? []).Where(IsIPv4)],
                ExternalPolicyLocal = spec.ExternalTrafficPolicy == "Local" && spec.Type is "NodePort" or "LoadBalancer",
                InternalPolicyLocal = spec.InternalTrafficPolicy == "Local",
                AffinitySeconds = spec.SessionAffinity == "ClientIP" ? spec.SessionAffinityConfig?.ClientIP?.TimeoutSeconds ?? 10800 : 0,
                Endpoints = EndpointsFor(port, protocol, slices ?? [], nodeName, zone),
            });
        }
    }

    private static List<ProxyEndpoint> EndpointsFor(V1ServicePort port, string protocol, List<V1EndpointSlice> slices, string nodeName, string? zone)
    {
        var seen = new Dictionary<string, ProxyEndpoint>(StringComparer.Ordinal);
        bool allHinted = true;
        bool zoneHinted = false;
        var hinted = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1EndpointSlice slice in slices)
        {
            Discoveryv1EndpointPort? slicePort = (slice.Ports ?? []).FirstOrDefault(p =>
                (p.Name ?? "") == (port.Name ?? "") && string.Equals(p.Protocol ?? "TCP", protocol, StringComparison.OrdinalIgnoreCase));
            if (slicePort?.Port is not int targetPort)
            {
                continue;
            }

            foreach (V1Endpoint endpoint in slice.Endpoints ?? [])
            {
                string? ip = endpoint.Addresses?.FirstOrDefault();
                if (!IsIPv4(ip))
                {
                    continue;
                }

                bool ready = endpoint.Conditions?.Ready ?? true;
                var info = new ProxyEndpoint(
                    ip!, targetPort, ready, endpoint.Conditions?.Serving ?? ready, endpoint.Conditions?.Terminating ?? false, endpoint.NodeName == nodeName);
                if (!seen.TryGetValue(info.HostPort, out ProxyEndpoint? existing) || (!existing.Ready && info.Ready))
                {
                    seen[info.HostPort] = info;
                }

                IList<V1ForZone>? zones = endpoint.Hints?.ForZones;
                allHinted &= zones is { Count: > 0 } || !ready;
                if (zone is not null && zones is not null && zones.Any(z => z.Name == zone))
                {
                    zoneHinted = true;
                    hinted.Add(info.HostPort);
                }
            }
        }

        IEnumerable<ProxyEndpoint> endpoints = seen.Values;
        if (zone is not null && allHinted && zoneHinted)
        {
            // Topology-aware routing: cluster traffic stays in the zone; local endpoints stay usable for the Local policies.
            endpoints = endpoints.Where(e => hinted.Contains(e.HostPort) || e.IsLocal);
        }

        return [.. endpoints.OrderBy(e => e.Ip, StringComparer.Ordinal).ThenBy(e => e.Port)];
    }

    private static bool IsIPv4(string? address) =>
        address is not null && IPAddress.TryParse(address, out IPAddress? ip) && ip.AddressFamily == AddressFamily.InterNetwork;
}
