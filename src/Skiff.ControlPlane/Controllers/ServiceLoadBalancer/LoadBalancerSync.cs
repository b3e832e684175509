using System.Net;
using k8s.Models;

namespace Skiff.ControlPlane.Controllers.ServiceLoadBalancer;

/// <summary>The pure part of the service load balancer: which Services it serves, and the ingress lists it compares and writes.</summary>
internal static class LoadBalancerSync
{
    /// <summary>status.loadBalancer.ingress[].ipMode: traffic arrives with the load balancer IP as destination (the proxy answers on it).</summary>
    public const string IpModeVip = "VIP";

    public const string LoadBalancerType = "LoadBalancer";

    /// <summary>
    /// A LoadBalancer Service that names no loadBalancerClass is ours (upstream's default implementation, like a cloud
    /// provider's); one with a class belongs to whichever implementation claims that class.
    /// </summary>
    public static bool IsOurs(V1Service service) =>
        service.Spec?.Type == LoadBalancerType && string.IsNullOrEmpty(service.Spec.LoadBalancerClass);

    /// <summary>The addresses currently published in status.loadBalancer.ingress.</summary>
    public static IReadOnlyList<string> CurrentIps(V1Service service) =>
        [.. (service.Status?.LoadBalancer?.Ingress ?? []).Select(i => i?.Ip).OfType<string>().Where(ip => ip.Length > 0)];

    public static bool HasIngress(V1Service service) => service.Status?.LoadBalancer?.Ingress is { Count: > 0 };

    /// <summary>spec.loadBalancerIP when set (deprecated upstream, still honoured by MetalLB and cloud providers).</summary>
    public static string? RequestedIp(V1Service service) =>
        string.IsNullOrWhiteSpace(service.Spec?.LoadBalancerIP) ? null : service.Spec.LoadBalancerIP.Trim();

    /// <summary>The InternalIPs of the nodes whose Ready condition is True, in address order without repeats (klipper-lb's list).</summary>
    public static List<IPAddress> ReadyNodeAddresses(IEnumerable<V1Node> nodes)
    {
        var addresses = new SortedSet<IPAddress>(Comparer<IPAddress>.Create(Compare));
        foreach (V1Node node in nodes)
        {
            if (!NodeReadiness.IsReady(node))
            {
                continue;
            }

            foreach (V1NodeAddress address in node.Status?.Addresses ?? [])
            {
                if (address?.Type == "InternalIP" && IPAddress.TryParse(address.Address, out IPAddress? ip))
                {
                    addresses.Add(ip);
                }
            }
        }

        return [.. addresses];
    }

    /// <summary>What a node contributes to the node-address ingress: nothing unless Ready, else its InternalIPs.</summary>
    public static string NodeFingerprint(V1Node node) =>
        NodeReadiness.IsReady(node)
            ? string.Join(",", (node.Status?.Addresses ?? []).Where(a => a?.Type == "InternalIP").Select(a => a.Address))
            : string.Empty;

    public static List<V1LoadBalancerIngress> Ingress(IEnumerable<IPAddress> addresses) =>
        [.. addresses.Select(a => new V1LoadBalancerIngress { Ip = a.ToString(), IpMode = IpModeVip })];

    /// <summary>True when the Service's status already shows exactly <paramref name="desired"/> (same IPs, same order, same ipMode).</summary>
    public static bool SameIngress(V1Service service, IReadOnlyList<V1LoadBalancerIngress> desired)
    {
        IList<V1LoadBalancerIngress> current = service.Status?.LoadBalancer?.Ingress ?? [];
        return current.Count == desired.Count
            && current.Zip(desired).All(p => p.First?.Ip == p.Second.Ip && p.First?.IpMode == p.Second.IpMode && string.IsNullOrEmpty(p.First?.Hostname) && p.First?.Ports is null or { Count: 0 });
    }

    // Addresses compare by family, then as big-endian numbers, so 10.0.0.9 sorts before 10.0.0.10.
    private static int Compare(IPAddress? a, IPAddress? b)
    {
        byte[] x = a?.GetAddressBytes() ?? [];
        byte[] y = b?.GetAddressBytes() ?? [];
        return x.Length != y.Length ? x.Length.CompareTo(y.Length) : x.AsSpan().SequenceCompareTo(y);
    }
}
