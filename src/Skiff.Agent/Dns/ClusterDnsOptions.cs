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

    /// <summary>TTL of cluster records (CoreDNS' kubernetes plugin: 5 s).</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(5);
}
