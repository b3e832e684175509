using System.Security.Cryptography;
using System.Text;

namespace Skiff.Agent.NetworkPolicy;

/// <summary>
/// Renders the filter-table chains for the isolated local pods. <c>SKIFF-NP-FORWARD</c> (jumped to first from FORWARD) returns
/// replies of tracked connections, then sends traffic from a pod with egress isolation to its <c>SKIFF-NP-E-*</c> chain and
/// traffic to a pod with ingress isolation to its <c>SKIFF-NP-I-*</c> chain. A pod chain clears the allow mark, lets every
/// allowed (peer, port) pair set it (an ipBlock with exceptions through its own <c>SKIFF-NP-X-*</c> chain, which returns early
/// for the exceptions), drops what is still unmarked and clears the mark again. Allowed traffic returns to FORWARD, so the
/// agent only ever drops and other components' FORWARD rules still apply.
/// </summary>
public static class PolicyRules
{
    public const string Prefix = "SKIFF-NP-";
    public const string DispatchChain = "SKIFF-NP-FORWARD";
    public const string JumpComment = "skiff network policy";

    /// <summary>The mark bit meaning "allowed by a policy rule" while a packet is in a pod chain (kube-proxy uses 0x4000 and 0x8000).</summary>
    public const string AllowMark = "0x20000/0x20000";

    /// <summary>The rules as <c>iptables-restore</c> lines (no table header or COMMIT) and every chain they declare.</summary>
    public static (string Rules, IReadOnlyList<string> Chains) Render(IEnumerable<PodTraffic> pods)
    {
        ArgumentNullException.ThrowIfNull(pods);
        var chains = new List<string> { DispatchChain };
        var body = new StringBuilder();
        var dispatch = new StringBuilder();
        dispatch.Append("-A ").Append(DispatchChain)
            .Append(" -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment \"replies of allowed connections\" -j RETURN\n");
        foreach (PodTraffic pod in pods.OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            string id = pod.Namespace + "/" + pod.Name;
            if (pod.Egress is not null)
            {
                string chain = ChainName("E", id);
                chains.Add(chain);
                dispatch.Append("-A ").Append(DispatchChain).Append(" -s ").Append(pod.Ip).Append("/32")
                    .Append(Comment(id + " egress")).Append(" -j ").Append(chain).Append('\n');
                RenderPodChain(body, chains, chain, id + " egress", pod.Egress, peerFlag: "-d");
            }

            if (pod.Ingress is not null)
            {
                string chain = ChainName("I", id);
                chains.Add(chain);
                dispatch.Append("-A ").Append(DispatchChain).Append(" -d ").Append(pod.Ip).Append("/32")
                    .Append(Comment(id + " ingress")).Append(" -j ").Append(chain).Append('\n');
                RenderPodChain(body, chains, chain, id + " ingress", pod.Ingress, peerFlag: "-s");
            }
        }

        var all = new StringBuilder();
        foreach (string chain in chains)
        {
            all.Append(':').Append(chain).Append(" - [0:0]\n");
        }

        all.Append(dispatch).Append(body);
        return (all.ToString(), chains);
    }

    private static void RenderPodChain(StringBuilder body, List<string> chains, string chain, string what, IReadOnlyList<AllowEntry> allowed, string peerFlag)
    {
        body.Append("-A ").Append(chain).Append(" -j MARK --set-xmark 0x0/0x20000\n");
        int index = 0;
        foreach (AllowEntry entry in allowed)
        {
            if (entry.Peer is { Except.Count: > 0 } peer)
            {
                string sub = ChainName("X", chain + "/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture));
                index++;
                chains.Add(sub);
                body.Append("-A ").Append(chain).Append(" -j ").Append(sub).Append('\n');
                foreach (string excluded in peer.Except)
                {
                    body.Append("-A ").Append(sub).Append(' ').Append(peerFlag).Append(' ').Append(excluded).Append(" -j RETURN\n");
                }

                body.Append("-A ").Append(sub).Append(' ').Append(peerFlag).Append(' ').Append(peer.Cidr).Append(PortMatch(entry.Port))
                    .Append(" -j MARK --set-xmark ").Append(AllowMark).Append('\n');
                continue;
            }

            body.Append("-A ").Append(chain);
            if (entry.Peer is not null)
            {
                body.Append(' ').Append(peerFlag).Append(' ').Append(entry.Peer.Cidr);
            }

            body.Append(PortMatch(entry.Port)).Append(" -j MARK --set-xmark ").Append(AllowMark).Append('\n');
        }

        body.Append("-A ").Append(chain).Append(" -m mark ! --mark ").Append(AllowMark).Append(Comment(what + " not allowed")).Append(" -j DROP\n");
        body.Append("-A ").Append(chain).Append(" -j MARK --set-xmark 0x0/0x20000\n");
    }

    private static string PortMatch(PortRange? port)
    {
        if (port is null)
        {
            return string.Empty;
        }

        string protocol = port.Protocol.ToLowerInvariant();
        if (port.Port is null)
        {
            return " -p " + protocol;
        }

        string ports = port.EndPort is { } end ? port.Port + ":" + end : port.Port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return " -p " + protocol + " -m " + protocol + " --dport " + ports;
    }

    private static string Comment(string text) => " -m comment --comment \"" + text.Replace("\"", string.Empty, StringComparison.Ordinal) + "\"";

    /// <summary>A stable chain name under iptables' 28-character limit: prefix, kind letter, 16 hex digits of SHA-256(id).</summary>
    public static string ChainName(string kind, string id) =>
        Prefix + kind + "-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..16];
}
