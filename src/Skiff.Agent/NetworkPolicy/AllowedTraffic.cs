using System.Net;
using k8s.Models;

namespace Skiff.Agent.NetworkPolicy;

/// <summary>
/// What one direction (ingress or egress) of a local pod allows, once policies are resolved against the cluster's pods and
/// namespaces: null <see cref="PodTraffic.Ingress"/>/<see cref="PodTraffic.Egress"/> means the pod is not isolated in that
/// direction (everything passes); an empty list means it is isolated and nothing is allowed.
/// </summary>
/// <param name="Peer">The remote address range (source for ingress, destination for egress); null: any address.</param>
/// <param name="Port">The destination protocol and port (range); null: any protocol and port.</param>
public sealed record AllowEntry(PeerRange? Peer, PortRange? Port);

/// <summary>An IPv4 CIDR minus the CIDRs in <paramref name="Except"/> (an ipBlock, or a pod IP as a /32 without exceptions).</summary>
public sealed record PeerRange(string Cidr, IReadOnlyList<string> Except)
{
    public static PeerRange Host(string ip) => new(ip + "/32", []);

    public bool Equals(PeerRange? other) => other is not null && Cidr == other.Cidr && Except.SequenceEqual(other.Except);

    public override int GetHashCode() => HashCode.Combine(Cidr, Except.Count);
}

/// <summary>A protocol (TCP, UDP, SCTP) and a destination port range; <paramref name="Port"/> null: every port of the protocol.</summary>
public sealed record PortRange(string Protocol, int? Port, int? EndPort);

/// <summary>The traffic a local pod may receive and send; null direction: not isolated.</summary>
public sealed record PodTraffic(string Namespace, string Name, string Ip, IReadOnlyList<AllowEntry>? Ingress, IReadOnlyList<AllowEntry>? Egress);

/// <summary>
/// The pure part of the policy agent: upstream networking.k8s.io/v1 NetworkPolicy semantics for one pod. A pod selected by any
/// policy of a direction's type is isolated in that direction and gets the union of those policies' rules; a rule allows the
/// cross product of its peers (all when none are given) and its ports (all when none are given). Named ports resolve against
/// the pod that receives the traffic: the local pod for ingress, each peer pod for egress.
/// </summary>
public static class AllowedTraffic
{
    /// <summary>Whether a pod takes part in policy (as a local pod or a pod peer): it has an IPv4 address, is not host-network and has not finished.</summary>
    public static string? PolicyIp(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        if (pod.Spec?.HostNetwork == true || pod.Status?.Phase is "Succeeded" or "Failed")
        {
            return null;
        }

        foreach (string? ip in (pod.Status?.PodIPs ?? []).Select(p => p.Ip).Prepend(pod.Status?.PodIP))
        {
            if (ip is not null && IPAddress.TryParse(ip, out IPAddress? parsed) && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            {
                return ip;
            }
        }

        return null;
    }

    /// <summary>The policy types a policy enforces, defaulted as upstream: Ingress always, Egress when it has egress rules.</summary>
    public static (bool Ingress, bool Egress) PolicyTypes(V1NetworkPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        IList<string>? types = policy.Spec?.PolicyTypes;
        if (types is null || types.Count == 0)
        {
            return (true, policy.Spec?.Egress is { Count: > 0 });
        }

        return (types.Contains("Ingress"), types.Contains("Egress"));
    }

    /// <summary>What <paramref name="pod"/> (with address <paramref name="ip"/>) may receive and send under <paramref name="policies"/>.</summary>
    public static PodTraffic Compute(V1Pod pod, string ip, IEnumerable<V1NetworkPolicy> policies, ClusterView cluster)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(cluster);
        string ns = pod.Metadata.NamespaceProperty ?? "default";
        List<AllowEntry>? ingress = null;
        List<AllowEntry>? egress = null;
        foreach (V1NetworkPolicy policy in policies)
        {
            if ((policy.Metadata.NamespaceProperty ?? "default") != ns || !Selects(policy.Spec?.PodSelector ?? new V1LabelSelector(), pod.Metadata.Labels))
            {
                continue;
            }

            (bool isIngress, bool isEgress) = PolicyTypes(policy);
            if (isIngress)
            {
                ingress ??= [];
                foreach (V1NetworkPolicyIngressRule rule in policy.Spec?.Ingress ?? [])
                {
                    AddIngress(ingress, pod, rule, ns, cluster);
                }
            }

            if (isEgress)
            {
                egress ??= [];
                foreach (V1NetworkPolicyEgressRule rule in policy.Spec?.Egress ?? [])
                {
                    AddEgress(egress, rule, ns, cluster);
                }
            }
        }

        return new PodTraffic(ns, pod.Metadata.Name, ip, ingress?.Distinct().ToList(), egress?.Distinct().ToList());
    }

    private static void AddIngress(List<AllowEntry> into, V1Pod pod, V1NetworkPolicyIngressRule rule, string ns, ClusterView cluster)
    {
        List<PortRange?> ports = [];
        if (rule.Ports is null || rule.Ports.Count == 0)
        {
            ports.Add(null);
        }
        else
        {
            foreach (V1NetworkPolicyPort port in rule.Ports)
            {
                PortRange? resolved = Resolve(port, pod);
                if (resolved is not null)
                {
                    ports.Add(resolved);
                }
            }
        }

        foreach (PeerRange? peer in Peers(rule.FromProperty, ns, cluster).Select(p => p.Range))
        {
            into.AddRange(ports.Select(port => new AllowEntry(peer, port)));
        }
    }

    private static void AddEgress(List<AllowEntry> into, V1NetworkPolicyEgressRule rule, string ns, ClusterView cluster)
    {
        List<(PeerRange? Range, V1Pod? Pod)> peers = Peers(rule.To, ns, cluster);
        if (rule.Ports is null || rule.Ports.Count == 0)
        {
            into.AddRange(peers.Select(p => new AllowEntry(p.Range, null)));
            return;
        }

        foreach (V1NetworkPolicyPort port in rule.Ports)
        {
            bool named = port.Port is not null && !int.TryParse(port.Port.Value, out _);
            if (!named)
            {
                PortRange? numeric = Resolve(port, null);
                into.AddRange(peers.Select(p => new AllowEntry(p.Range, numeric)));
                continue;
            }

            // A named port means a port of the destination pod: only pod destinations can have one, each with its own number.
            IEnumerable<(V1Pod Pod, string Ip)> targets = rule.To is null || rule.To.Count == 0
                ? cluster.Pods
                : peers.Where(p => p.Pod is not null).Select(p => (p.Pod!, p.Range!.Cidr[..^3]))
                    .Concat(peers.Where(p => p.Pod is null && p.Range is not null).SelectMany(p => cluster.Pods.Where(c => InRange(c.Ip, p.Range!))));
            foreach ((V1Pod target, string ip) in targets)
            {
                PortRange? resolved = Resolve(port, target);
                if (resolved is not null)
                {
                    into.Add(new AllowEntry(PeerRange.Host(ip), resolved));
                }
            }
        }
    }

    /// <summary>The peers a rule's from/to list names: (null, null) for "everyone", a /32 with its pod for pod peers, the block for an ipBlock.</summary>
    private static List<(PeerRange? Range, V1Pod? Pod)> Peers(IList<V1NetworkPolicyPeer>? peers, string ns, ClusterView cluster)
    {
        if (peers is null || peers.Count == 0)
        {
            return [(null, null)];
        }

        var result = new List<(PeerRange?, V1Pod?)>();
        foreach (V1NetworkPolicyPeer peer in peers)
        {
            if (peer.IpBlock is { } block)
            {
                // The rules are IPv4 (iptables); an IPv6 block cannot match and must not break the whole table's restore.
                if (IsIpv4Cidr(block.Cidr))
                {
                    result.Add((new PeerRange(block.Cidr, [.. (block.Except ?? []).Where(IsIpv4Cidr)]), null));
                }

                continue;
            }

            if (peer.PodSelector is null && peer.NamespaceSelector is null)
            {
                continue;
            }

            foreach ((V1Pod candidate, string ip) in cluster.Pods)
            {
                string candidateNs = candidate.Metadata.NamespaceProperty ?? "default";
                bool nsOk = peer.NamespaceSelector is null ? candidateNs == ns : Selects(peer.NamespaceSelector, cluster.NamespaceLabels(candidateNs));
                if (nsOk && (peer.PodSelector is null || Selects(peer.PodSelector, candidate.Metadata.Labels)))
                {
                    result.Add((PeerRange.Host(ip), candidate));
                }
            }
        }

        return result;
    }

    /// <summary>A policy port as a concrete range; a named port through <paramref name="target"/>'s container ports (null when it has none of that name).</summary>
    private static PortRange? Resolve(V1NetworkPolicyPort port, V1Pod? target)
    {
        string protocol = string.IsNullOrEmpty(port.Protocol) ? "TCP" : port.Protocol;
        if (port.Port is null)
        {
            return new PortRange(protocol, null, null);
        }

        if (int.TryParse(port.Port.Value, out int number))
        {
            return new PortRange(protocol, number, port.EndPort is { } end && end > number ? end : null);
        }

        V1ContainerPort? match = (target?.Spec?.Containers ?? [])
            .SelectMany(c => c.Ports ?? [])
            .FirstOrDefault(p => p.Name == port.Port.Value && (string.IsNullOrEmpty(p.Protocol) ? "TCP" : p.Protocol) == protocol);
        return match is null ? null : new PortRange(protocol, match.ContainerPort, null);
    }

    private static bool Selects(V1LabelSelector selector, IDictionary<string, string>? labels)
    {
        var readOnly = labels is null ? null : new Dictionary<string, string>(labels);
        return Skiff.Machinery.Selectors.LabelSelector.FromModel(selector).Matches(readOnly);
    }

    /// <summary>Whether <paramref name="ip"/> lies in the range's CIDR and in none of its exceptions.</summary>
    public static bool InRange(string ip, PeerRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        return IPAddress.TryParse(ip, out IPAddress? address)
            && IPNetwork.TryParse(range.Cidr, out IPNetwork network) && network.Contains(address)
            && !range.Except.Any(e => IPNetwork.TryParse(e, out IPNetwork excluded) && excluded.Contains(address));
    }

    private static bool IsIpv4Cidr(string? cidr) =>
        System.Net.IPNetwork.TryParse(cidr, out System.Net.IPNetwork network)
        && network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
}

/// <summary>The cluster state policies resolve against: every pod with a policy address, and the namespaces' labels.</summary>
public sealed class ClusterView
{
    private const string MetadataNameLabel = "kubernetes.io/metadata.name";

    private readonly Dictionary<string, IDictionary<string, string>?> _namespaces;

    public ClusterView(IEnumerable<V1Pod> pods, IEnumerable<V1Namespace> namespaces)
    {
        ArgumentNullException.ThrowIfNull(pods);
        ArgumentNullException.ThrowIfNull(namespaces);
        Pods = [.. pods.Select(p => (Pod: p, Ip: AllowedTraffic.PolicyIp(p))).Where(p => p.Ip is not null).Select(p => (p.Pod, p.Ip!))];
        _namespaces = namespaces.Where(n => n.Metadata?.Name is not null).ToDictionary(n => n.Metadata.Name, IDictionary<string, string>? (n) => n.Metadata.Labels);
    }

    /// <summary>Pods that can be policy peers, with their IPv4 address.</summary>
    public IReadOnlyList<(V1Pod Pod, string Ip)> Pods { get; }

    /// <summary>A namespace's labels, with <c>kubernetes.io/metadata.name</c> as upstream always sets it; null when the namespace is unknown.</summary>
    public IDictionary<string, string>? NamespaceLabels(string name)
    {
        if (!_namespaces.TryGetValue(name, out IDictionary<string, string>? labels))
        {
            return null;
        }

        var result = new Dictionary<string, string>(labels ?? new Dictionary<string, string>()) { [MetadataNameLabel] = name };
        return result;
    }
}
