using System.Net;
using System.Net.Sockets;
using k8s.Models;

namespace Skiff.Agent.Network;

/// <summary>How one other node's pod CIDR is reached.</summary>
public enum PeerRouteKind
{
    /// <summary>A route via the peer's InternalIP (the peer is on a directly connected subnet).</summary>
    HostGw,

    /// <summary>Through the VXLAN device: route via the peer's VTEP address (its pod CIDR's network address), neighbour and FDB entry.</summary>
    Vxlan,
}

/// <summary>The entries this node keeps towards one other node's pod CIDR.</summary>
/// <param name="NodeName">The peer Node.</param>
/// <param name="PodCidr">The peer's spec.podCIDR.</param>
/// <param name="NodeIp">The peer's InternalIP (host-gw next hop, VXLAN underlay destination).</param>
/// <param name="Kind">host-gw or VXLAN.</param>
/// <param name="VtepMac">The peer's VXLAN device MAC (<see cref="PodNetwork.VtepMacAnnotation"/>); null for host-gw.</param>
public sealed record PeerRoute(string NodeName, IPNetwork PodCidr, IPAddress NodeIp, PeerRouteKind Kind, string? VtepMac)
{
    /// <summary>The peer's VTEP address: the network address of its pod CIDR (flannel's scheme), the next hop of the VXLAN route.</summary>
    public IPAddress VtepAddress => PodCidr.BaseAddress;
}

/// <summary>
/// The pure part of <see cref="PodNetwork"/>: which peers get which entries, from the Node objects and a test for "directly
/// connected", and what changes between two plans. No I/O, so unit tests drive it with Node objects alone.
/// </summary>
public static class PodNetworkPlan
{
    /// <summary>A node's pod CIDR and InternalIP, or false when either is missing or not IPv4.</summary>
    public static bool TryPeer(V1Node node, out IPNetwork podCidr, out IPAddress internalIp)
    {
        ArgumentNullException.ThrowIfNull(node);
        podCidr = default;
        internalIp = IPAddress.None;
        string? cidr = node.Spec?.PodCIDR ?? node.Spec?.PodCIDRs?.FirstOrDefault();
        if (cidr is null || !IPNetwork.TryParse(cidr, out podCidr) || podCidr.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        foreach (V1NodeAddress address in node.Status?.Addresses ?? [])
        {
            if (address.Type == "InternalIP" && IPAddress.TryParse(address.Address, out IPAddress? ip) && ip.AddressFamily == AddressFamily.InterNetwork)
            {
                internalIp = ip;
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The entries for every other node with a pod CIDR and an InternalIP, ordered by pod CIDR. host-gw with backend HostGw, VXLAN
    /// with Vxlan, per peer with Auto (host-gw when <paramref name="directlyConnected"/>); nothing with None. A VXLAN peer that has
    /// not yet published its VTEP MAC is left out until it does; a pod CIDR overlapping this node's own, or a second node claiming
    /// the same pod CIDR (first by name wins), is skipped.
    /// </summary>
    public static IReadOnlyList<PeerRoute> Plan(PodNetworkOptions options, IEnumerable<V1Node> nodes, Func<IPAddress, bool> directlyConnected)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(directlyConnected);
        if (options.Backend == PodNetworkBackend.None)
        {
            return [];
        }

        var byCidr = new SortedDictionary<string, PeerRoute>(StringComparer.Ordinal);
        foreach (V1Node node in nodes.OrderBy(n => n.Metadata?.Name, StringComparer.Ordinal))
        {
            string? name = node.Metadata?.Name;
            if (name is null || name == options.NodeName || !TryPeer(node, out IPNetwork cidr, out IPAddress ip)
                || ip.Equals(options.NodeIp) || Overlaps(cidr, options.PodCidr) || byCidr.Values.Any(p => Overlaps(p.PodCidr, cidr)))
            {
                continue;
            }

            bool hostGw = options.Backend switch
            {
                PodNetworkBackend.HostGw => true,
                PodNetworkBackend.Vxlan => false,
                _ => directlyConnected(ip),
            };
            if (hostGw)
            {
                byCidr[Key(cidr)] = new PeerRoute(name, cidr, ip, PeerRouteKind.HostGw, null);
                continue;
            }

            string? mac = null;
            node.Metadata?.Annotations?.TryGetValue(PodNetwork.VtepMacAnnotation, out mac);
            if (!string.IsNullOrEmpty(mac))
            {
                byCidr[Key(cidr)] = new PeerRoute(name, cidr, ip, PeerRouteKind.Vxlan, mac.ToLowerInvariant());
            }
        }

        return [.. byCidr.Values];
    }

    /// <summary>What to remove (gone, or changed) and what to add (new, or changed) to go from <paramref name="current"/> to <paramref name="desired"/>.</summary>
    public static (IReadOnlyList<PeerRoute> Remove, IReadOnlyList<PeerRoute> Add) Diff(IEnumerable<PeerRoute> current, IEnumerable<PeerRoute> desired)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(desired);
        var now = current.ToDictionary(p => p.PodCidr);
        var wanted = desired.ToDictionary(p => p.PodCidr);
        List<PeerRoute> remove = [.. now.Values.Where(p => !wanted.TryGetValue(p.PodCidr, out PeerRoute? w) || w != p)];
        List<PeerRoute> add = [.. wanted.Values.Where(p => !now.TryGetValue(p.PodCidr, out PeerRoute? c) || c != p)];
        return (remove, add);
    }

    /// <summary>Whether two IPv4 networks share any address.</summary>
    public static bool Overlaps(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);

    private static string Key(IPNetwork cidr) => cidr.ToString();
}
