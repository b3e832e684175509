using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Skiff.ControlPlane.Controllers.Endpoints;
using Skiff.ControlPlane.Controllers.EndpointSlice;
using Skiff.ControlPlane.Controllers.ReplicaSet;

namespace Skiff.ControlPlane.Controllers.KubeDns;

/// <summary>
/// The pure part of the kube-dns endpoints controller: which nodes serve cluster DNS, and the Endpoints and EndpointSlice of the
/// selectorless <c>kube-system/kube-dns</c> Service that list them.
/// </summary>
internal static class KubeDnsSync
{
    public const string Namespace = "kube-system";
    public const string ServiceName = "kube-dns";

    /// <summary>The slice's fixed name: one slice, one endpoint per node (upstream's limit is 1,000 endpoints a slice).</summary>
    public const string SliceName = "kube-dns";

    /// <summary>
    /// The Node annotation each agent sets to the address its DNS server answers on. The same string as
    /// <c>Skiff.Agent.Dns.ClusterDnsServer.AddressAnnotation</c>, which writes it; the control plane cannot reference the agent.
    /// </summary>
    public const string DnsAddressAnnotation = "skiff.io/dns-address";

    public const string ManagedByValue = "kube-dns-endpoints";
    public const string SkipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror";

    /// <summary>One node's DNS server: its annotated address, when the node is Ready; else null.</summary>
    public static DnsServer? ServerOf(V1Node node)
    {
        if (node.Metadata?.Annotations?.TryGetValue(DnsAddressAnnotation, out string? text) != true
            || !IPAddress.TryParse(text?.Trim(), out IPAddress? address)
            || !NodeReadiness.IsReady(node))
        {
            return null;
        }

        return new DnsServer(node.Metadata.Name, address);
    }

    /// <summary>The DNS servers of every Ready, annotated node in the Service's address family, by node name, each address once.</summary>
    public static List<DnsServer> Servers(IEnumerable<V1Node> nodes, AddressFamily family)
    {
        var seen = new HashSet<IPAddress>();
        return [.. nodes.Select(ServerOf).OfType<DnsServer>()
            .Where(s => s.Address.AddressFamily == family)
            .OrderBy(s => s.NodeName, StringComparer.Ordinal)
            .Where(s => seen.Add(s.Address))];
    }

    public static AddressFamily FamilyOf(V1Service service) =>
        IPAddress.TryParse(service.Spec?.ClusterIP, out IPAddress? ip) ? ip.AddressFamily : AddressFamily.InterNetwork;

    /// <summary>The Endpoints: the Service's labels, skip-mirror, ours; one subset with every server and the Service's ports.</summary>
    public static V1Endpoints DesiredEndpoints(V1Service service, IReadOnlyList<DnsServer> servers, V1Endpoints? current)
    {
        V1Endpoints result = current is null
            ? new V1Endpoints { ApiVersion = "v1", Kind = "Endpoints", Metadata = new V1ObjectMeta { Name = ServiceName, NamespaceProperty = Namespace } }
            : ReplicaSetSync.Clone(current);
        var labels = new Dictionary<string, string>(service.Metadata?.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [SkipMirrorLabel] = "true",
            [EndpointsSync.ManagedByLabel] = ManagedByValue,
        };
        result.Metadata.Labels = labels;
        result.Subsets = servers.Count == 0 ? null :
        [
            new V1EndpointSubset
            {
                Addresses = [.. servers.Select(s => new V1EndpointAddress { Ip = s.Address.ToString(), NodeName = s.NodeName })],
                Ports = [.. Ports(service).Select(p => new Corev1EndpointPort { Name = p.Name, Port = p.Port, Protocol = p.Protocol })],
            },
        ];
        return result;
    }

    /// <summary>The slice: labelled with the Service and this controller, owned by the Service, one ready endpoint per server.</summary>
    public static V1EndpointSlice DesiredSlice(V1Service service, IReadOnlyList<DnsServer> servers, V1EndpointSlice? current)
    {
        V1EndpointSlice result = current is null
            ? new V1EndpointSlice { ApiVersion = "discovery.k8s.io/v1", Kind = "EndpointSlice", Metadata = new V1ObjectMeta { Name = SliceName, NamespaceProperty = Namespace } }
            : ReplicaSetSync.Clone(current);
        result.Metadata.Labels = new Dictionary<string, string>(service.Metadata?.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [EndpointSliceSync.ServiceNameLabel] = ServiceName,
            [EndpointSliceSync.ManagedByLabel] = ManagedByValue,
        };
        result.Metadata.OwnerReferences =
        [
            new V1OwnerReference { ApiVersion = "v1", Kind = "Service", Name = ServiceName, Uid = service.Metadata?.Uid, Controller = true, BlockOwnerDeletion = true },
        ];
        result.AddressType = FamilyOf(service) == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
        result.Endpoints = [.. servers.Select(s => new V1Endpoint
        {
            Addresses = [s.Address.ToString()],
            NodeName = s.NodeName,
            Conditions = new V1EndpointConditions { Ready = true, Serving = true, Terminating = false },
        })];
        result.Ports = [.. Ports(service).Select(p => new Discoveryv1EndpointPort { Name = p.Name, Port = p.Port, Protocol = p.Protocol })];
        return result;
    }

    public static bool EndpointsDiffer(V1Endpoints current, V1Endpoints desired) =>
        !EndpointsSync.SameJson(current.Subsets is { Count: > 0 } ? current.Subsets : null, desired.Subsets)
        || !EndpointsSync.SameMap(current.Metadata?.Labels, desired.Metadata?.Labels);

    public static bool SliceDiffers(V1EndpointSlice current, V1EndpointSlice desired) =>
        !EndpointsSync.SameJson(current.Endpoints is { Count: > 0 } ? current.Endpoints : new List<V1Endpoint>(), desired.Endpoints)
        || !EndpointsSync.SameJson(current.Ports is { Count: > 0 } ? current.Ports : new List<Discoveryv1EndpointPort>(), desired.Ports)
        || !EndpointsSync.SameMap(current.Metadata?.Labels, desired.Metadata?.Labels)
        || current.AddressType != desired.AddressType
        || current.Metadata?.OwnerReferences?.FirstOrDefault(o => o.Controller == true)?.Uid != desired.Metadata?.OwnerReferences?.FirstOrDefault()?.Uid;

    public static bool IsOurs(IDictionary<string, string>? labels, string managedByLabel) =>
        labels?.TryGetValue(managedByLabel, out string? by) == true && by == ManagedByValue;

    // The port each Service port reaches on the DNS servers: targetPort when numeric (kube-dns: 53), else the port itself.
    private static IEnumerable<(string? Name, int Port, string Protocol)> Ports(V1Service service) =>
        (service.Spec?.Ports ?? []).Select(p => (
            string.IsNullOrEmpty(p.Name) ? null : p.Name,
            int.TryParse(p.TargetPort?.Value, System.Globalization.CultureInfo.InvariantCulture, out int target) && target > 0 ? target : p.Port,
            p.Protocol ?? "TCP"));

    /// <summary>A node's DNS server.</summary>
    public sealed record DnsServer(string NodeName, IPAddress Address);
}
