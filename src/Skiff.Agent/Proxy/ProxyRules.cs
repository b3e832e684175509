using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Skiff.Agent.Proxy;

/// <summary>
/// Renders <see cref="ProxyServicePort"/>s into kube-proxy's iptables layout (a pure function, unit-tested without iptables).
/// nat: PREROUTING and OUTPUT jump to KUBE-SERVICES, which matches each cluster IP (→ KUBE-SVC-&lt;hash&gt;, or KUBE-SVL-&lt;hash&gt;
/// for internalTrafficPolicy Local), load-balancer and external IPs (→ KUBE-EXT-&lt;hash&gt;), and last any local destination
/// (→ KUBE-NODEPORTS → KUBE-EXT-&lt;hash&gt;). KUBE-EXT applies externalTrafficPolicy (masquerade and all endpoints, or local
/// endpoints only with the client's address kept), KUBE-SVC/KUBE-SVL pick an endpoint chain KUBE-SEP-&lt;hash&gt; at random
/// (statistic, probability 1/(n-i)) or by ClientIP affinity (recent), and KUBE-SEP DNATs (marking hairpin traffic for
/// masquerade). Marked packets are masqueraded in KUBE-POSTROUTING. filter: KUBE-SERVICES and KUBE-EXTERNAL-SERVICES reject
/// Services without endpoints and drop external traffic to a Local Service without local endpoints; KUBE-FORWARD accepts
/// Service traffic; KUBE-FIREWALL blocks off-host packets to 127.0.0.0/8 (route_localnet is on for localhost NodePorts).
/// </summary>
public static class ProxyRules
{
    public const string Services = "KUBE-SERVICES";
    public const string ExternalServices = "KUBE-EXTERNAL-SERVICES";
    public const string NodePorts = "KUBE-NODEPORTS";
    public const string MarkMasq = "KUBE-MARK-MASQ";
    public const string Postrouting = "KUBE-POSTROUTING";
    public const string Forward = "KUBE-FORWARD";
    public const string Firewall = "KUBE-FIREWALL";
    public const string MasqMark = "0x4000";

    public static RuleSet Render(IReadOnlyList<ProxyServicePort> ports, IPNetwork clusterCidr)
    {
        ArgumentNullException.ThrowIfNull(ports);
        return Assemble([.. ports.Select(p => RenderPort(p, clusterCidr))]);
    }

    /// <summary>
    /// The whole set from each port's own rules (<see cref="RenderPort"/>, in the ports' order) and the fixed chains around them:
    /// what <see cref="Render"/> returns, without rendering a port again.
    /// </summary>
    internal static RuleSet Assemble(IReadOnlyList<RuleSet> portRules)
    {
        ArgumentNullException.ThrowIfNull(portRules);
        var head = new RuleSet();
        head.AddChain(RuleSet.Nat, Services);
        head.AddChain(RuleSet.Nat, NodePorts);
        head.Add(RuleSet.Nat, MarkMasq, "-j MARK --or-mark " + MasqMark);
        head.Add(RuleSet.Nat, Postrouting, "-m mark ! --mark " + MasqMark + "/" + MasqMark + " -j RETURN");
        head.Add(RuleSet.Nat, Postrouting, "-j MARK --xor-mark " + MasqMark);
        head.Add(RuleSet.Nat, Postrouting, "-m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully");
        head.AddChain(RuleSet.Filter, Services);
        head.AddChain(RuleSet.Filter, ExternalServices);
        head.Add(RuleSet.Filter, Forward, "-m conntrack --ctstate INVALID -j DROP");
        head.Add(RuleSet.Filter, Forward, "-m comment --comment \"kubernetes forwarding rules\" -m mark --mark " + MasqMark + "/" + MasqMark + " -j ACCEPT");
        head.Add(RuleSet.Filter, Forward, "-m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
        head.Add(RuleSet.Filter, Firewall,
            "-m comment --comment \"block incoming localnet connections\" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP");
        var tail = new RuleSet();
        tail.Add(RuleSet.Nat, Services,
            "-m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j " + NodePorts);
        return RuleSet.Concat([head, .. portRules, tail]);
    }

    /// <summary>KUBE-SVC-, KUBE-SVL- or KUBE-EXT- and 16 hex digits of the SHA-256 of the port's name and protocol (at most 28 characters, iptables' limit).</summary>
    public static string ServiceChain(string prefix, ProxyServicePort port)
    {
        ArgumentNullException.ThrowIfNull(port);
        return prefix + Hash(port.DisplayName + port.Protocol);
    }

    /// <summary>KUBE-SEP- and the hash of the port's name, protocol and endpoint.</summary>
    public static string EndpointChain(ProxyServicePort port, ProxyEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(port);
        ArgumentNullException.ThrowIfNull(endpoint);
        return "KUBE-SEP-" + Hash(port.DisplayName + port.Protocol + endpoint.HostPort);
    }

    /// <summary>
    /// The rules of one Service port alone: its own chains (KUBE-SVC, KUBE-SVL, KUBE-EXT, KUBE-SEP) and its lines in the shared
    /// ones (nat KUBE-SERVICES and KUBE-NODEPORTS, filter KUBE-SERVICES and KUBE-EXTERNAL-SERVICES). Depends on nothing but
    /// <paramref name="port"/> and <paramref name="clusterCidr"/>, so it can be kept while they stay the same.
    /// </summary>
    internal static RuleSet RenderPort(ProxyServicePort port, IPNetwork clusterCidr)
    {
        ArgumentNullException.ThrowIfNull(port);
        var rules = new RuleSet();
        AddPortRules(rules, port, clusterCidr.ToString());
        return rules;
    }

    private static void AddPortRules(RuleSet rules, ProxyServicePort port, string cidr)
    {
        string name = port.DisplayName;
        string proto = "-p " + port.Protocol + " -m " + port.Protocol;
        string svc = ServiceChain("KUBE-SVC-", port);
        string svl = ServiceChain("KUBE-SVL-", port);
        string ext = ServiceChain("KUBE-EXT-", port);

        // Ready endpoints; only when there is none, the serving-but-terminating ones (kube-proxy's fallback), per policy.
        List<ProxyEndpoint> cluster = Usable(port.Endpoints);
        List<ProxyEndpoint> local = Usable([.. port.Endpoints.Where(e => e.IsLocal)]);
        List<ProxyEndpoint> internalEndpoints = port.InternalPolicyLocal ? local : cluster;
        List<ProxyEndpoint> externalEndpoints = port.ExternalPolicyLocal ? local : cluster;
        bool hasEndpoints = cluster.Count > 0;
        string Blocked(string match) => hasEndpoints
            ? Comment(name + " has no local endpoints") + match + " -j DROP"
            : Comment(name + " has no endpoints") + match + " -j REJECT";

        string clusterIpMatch = proto + " -d " + port.ClusterIp + "/32 --dport " + Num(port.Port);
        if (internalEndpoints.Count > 0)
        {
            rules.Add(RuleSet.Nat, Services, Comment(name + " cluster IP") + clusterIpMatch + " -j " + (port.InternalPolicyLocal ? svl : svc));
        }
        else
        {
            rules.Add(RuleSet.Filter, Services, Blocked(clusterIpMatch));
        }

        foreach (string address in port.ExternalAddresses)
        {
            string match = proto + " -d " + address + "/32 --dport " + Num(port.Port);
            if (hasEndpoints)
            {
                rules.Add(RuleSet.Nat, Services, Comment(name + " external IP") + match + " -j " + ext);
            }

            if (externalEndpoints.Count == 0)
            {
                rules.Add(RuleSet.Filter, ExternalServices, Blocked(match));
            }
        }

        if (port.NodePort > 0)
        {
            string match = proto + " --dport " + Num(port.NodePort);
            if (hasEndpoints)
            {
                rules.Add(RuleSet.Nat, NodePorts, Comment(name) + match + " -j " + ext);
            }

            if (externalEndpoints.Count == 0)
            {
                rules.Add(RuleSet.Filter, ExternalServices, Blocked("-m addrtype --dst-type LOCAL " + match));
            }
        }

        if (!hasEndpoints)
        {
            return;
        }

        // KUBE-SVC is always there when any endpoint is: external Local traffic from the node itself or from pods uses it too.
        rules.Add(RuleSet.Nat, svc, Comment(name + " cluster IP") + clusterIpMatch + " ! -s " + cidr + " -j " + MarkMasq);
        AddBalancing(rules, svc, port, cluster);
        bool usesLocal = port.InternalPolicyLocal || (port.ExternalPolicyLocal && port.ExternallyAccessible);
        if (usesLocal && local.Count > 0)
        {
            AddBalancing(rules, svl, port, local);
        }

        if (port.ExternallyAccessible)
        {
            if (!port.ExternalPolicyLocal)
            {
                rules.Add(RuleSet.Nat, ext, Comment("masquerade traffic for " + name + " external destinations") + "-j " + MarkMasq);
                rules.Add(RuleSet.Nat, ext, "-j " + svc);
            }
            else
            {
                // Pods and the node itself are not subject to the policy (as if they went out to a load balancer and back).
                rules.Add(RuleSet.Nat, ext, Comment("pod traffic for " + name + " external destinations") + "-s " + cidr + " -j " + svc);
                rules.Add(RuleSet.Nat, ext, Comment("masquerade LOCAL traffic for " + name + " external destinations") + "-m addrtype --src-type LOCAL -j " + MarkMasq);
                rules.Add(RuleSet.Nat, ext, Comment("route LOCAL traffic for " + name + " external destinations") + "-m addrtype --src-type LOCAL -j " + svc);
                if (local.Count > 0)
                {
                    rules.Add(RuleSet.Nat, ext, "-j " + svl);
                }
            }
        }

        foreach (ProxyEndpoint endpoint in cluster.Union(usesLocal ? local : []).Distinct())
        {
            string sep = EndpointChain(port, endpoint);
            rules.Add(RuleSet.Nat, sep, Comment(name) + "-s " + endpoint.Ip + "/32 -j " + MarkMasq);
            string affinity = port.AffinitySeconds > 0 ? " -m recent --name " + sep + " --mask 255.255.255.255 --rsource --set" : "";
            rules.Add(RuleSet.Nat, sep, Comment(name) + proto + affinity + " -j DNAT --to-destination " + endpoint.HostPort);
        }
    }

    private static void AddBalancing(RuleSet rules, string chain, ProxyServicePort port, List<ProxyEndpoint> endpoints)
    {
        string name = port.DisplayName;
        if (port.AffinitySeconds > 0)
        {
            foreach (ProxyEndpoint endpoint in endpoints)
            {
                string sep = EndpointChain(port, endpoint);
                rules.Add(RuleSet.Nat, chain, Comment(name + " -> " + endpoint.HostPort) + "-m recent --name " + sep
                    + " --mask 255.255.255.255 --rsource --rcheck --seconds " + Num(port.AffinitySeconds) + " --reap -j " + sep);
            }
        }

        for (int i = 0; i < endpoints.Count; i++)
        {
            string sep = EndpointChain(port, endpoints[i]);
            string statistic = i < endpoints.Count - 1
                ? "-m statistic --mode random --probability " + (1.0 / (endpoints.Count - i)).ToString("0.0000000000", CultureInfo.InvariantCulture) + " "
                : "";
            rules.Add(RuleSet.Nat, chain, Comment(name + " -> " + endpoints[i].HostPort) + statistic + "-j " + sep);
        }
    }

    private static List<ProxyEndpoint> Usable(IReadOnlyList<ProxyEndpoint> endpoints)
    {
        List<ProxyEndpoint> ready = [.. endpoints.Where(e => e.Ready)];
        return ready.Count > 0 ? ready : [.. endpoints.Where(e => e.Serving && e.Terminating)];
    }

    private static string Comment(string text) => "-m comment --comment \"" + text + "\" ";

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0, 8);
}
