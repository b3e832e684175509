namespace Skiff.Agent.Proxy;

/// <summary>
/// One port of one Service with everything the rules need: where it answers (cluster IP, node port, load-balancer and external
/// IPs), its policies, and its endpoints (from every EndpointSlice of the Service, de-duplicated). Immutable: a sync renders a list
/// of these, built from one snapshot of the informer caches.
/// </summary>
public sealed record ProxyServicePort
{
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    /// <summary>spec.ports[].name; empty for a single unnamed port.</summary>
    public string PortName { get; init; } = "";

    /// <summary>Lower case, as iptables spells it: tcp, udp or sctp.</summary>
    public string Protocol { get; init; } = "tcp";

    public required string ClusterIp { get; init; }

    public required int Port { get; init; }

    /// <summary>spec.ports[].nodePort; 0 when the Service has none.</summary>
    public int NodePort { get; init; }

    /// <summary>status.loadBalancer.ingress[].ip and spec.externalIPs: answered like the cluster IP, but as external traffic.</summary>
    public IReadOnlyList<string> ExternalAddresses { get; init; } = [];

    /// <summary>externalTrafficPolicy Local: external traffic goes only to this node's endpoints and keeps its source address.</summary>
    public bool ExternalPolicyLocal { get; init; }

    /// <summary>internalTrafficPolicy Local: cluster-IP traffic goes only to this node's endpoints.</summary>
    public bool InternalPolicyLocal { get; init; }

    /// <summary>sessionAffinity ClientIP's timeoutSeconds; 0 without affinity.</summary>
    public int AffinitySeconds { get; init; }

    public IReadOnlyList<ProxyEndpoint> Endpoints { get; init; } = [];

    /// <summary><c>namespace/name:port</c> (kube-proxy's ServicePortName), used in comments and chain hashes.</summary>
    public string DisplayName => PortName.Length == 0 ? Namespace + "/" + Name : Namespace + "/" + Name + ":" + PortName;

    /// <summary>A NodePort, load-balancer or external IP reaches this port from outside the cluster.</summary>
    public bool ExternallyAccessible => NodePort > 0 || ExternalAddresses.Count > 0;
}
