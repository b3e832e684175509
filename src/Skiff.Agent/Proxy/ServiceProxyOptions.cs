using System.Net;
using Skiff.Agent.Network;

namespace Skiff.Agent.Proxy;

/// <summary>What <see cref="ServiceProxy"/> needs to know about its node and cluster.</summary>
public sealed record ServiceProxyOptions
{
    /// <summary>This node: endpoints on it are local for externalTrafficPolicy Local.</summary>
    public required string NodeName { get; init; }

    /// <summary>Pod traffic from outside this range to a Service is masqueraded (kube-proxy's --cluster-cidr).</summary>
    public required IPNetwork ClusterCidr { get; init; }

    /// <summary>The shortest time between two rule writes; changes in between are batched (kube-proxy's --iptables-min-sync-period).</summary>
    public TimeSpan MinSyncPeriod { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often every rule is rewritten even without changes (kube-proxy's --iptables-sync-period).</summary>
    public TimeSpan SyncPeriod { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Where the network tools run (a test namespace, or <see cref="NetCommand.Host"/>).</summary>
    public NetCommand Command { get; init; } = NetCommand.Host;

    /// <summary>Where the sync metrics go (<see cref="ServiceProxyMetrics"/>); null: a private registry nobody serves.</summary>
    public Prometheus.CollectorRegistry? Metrics { get; init; }

    /// <summary>How long removing the chains and jumps may take once the proxy is stopped.</summary>
    public TimeSpan CleanupTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
