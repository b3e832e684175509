using System.Net;

namespace Skiff.Agent.Dns;

/// <summary>What the node's cluster DNS server serves and where.</summary>
public sealed record ClusterDnsOptions
{
    /// <summary>The address it listens on (UDP and TCP): the node's pod gateway, which the kube-dns Service's endpoints point at.</summary>
    public required IPAddress ListenAddress { get; init; }

    public int Port { get; init; } = 53;

    /// <summary>The cluster's domain (cluster.local): names under it are answered from Services and EndpointSlices.</summary>
    public required string ClusterDomain { get; init; }

    /// <summary>The resolver file whose nameservers get every other name (the kubelet's --resolv-conf).</summary>
    public string UpstreamResolvConf { get; init; } = "/etc/resolv.conf";

    /// <summary>
    /// The port of the upstream nameservers. resolv.conf cannot carry a port, so this exists for tests, which start their
    /// upstream on a loopback address and a free port; a node always uses 53.
    /// </summary>
    public int UpstreamPort { get; init; } = 53;

    /// <summary>How long one upstream nameserver gets to answer before the next is tried (SERVFAIL when none answered).</summary>
    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>TTL of cluster records (CoreDNS' kubernetes plugin: 5 s).</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>UDP receive loops on the listening socket (each keeps one receive outstanding); 0 means one per core, at most 4.</summary>
    public int UdpReceivers { get; init; }
}
