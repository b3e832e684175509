using Prometheus;

namespace Skiff.Agent.Proxy;

/// <summary>
/// kube-proxy's sync metrics, in the registry the caller gives (none is global): how long a sync took, how long from an object's
/// change (its EndpointSlice's <c>endpoints.kubernetes.io/last-change-trigger-time</c> when set, else when the informer saw it)
/// to the end of the sync that applied it, and when the last sync finished.
/// </summary>
public sealed class ServiceProxyMetrics
{
    private static readonly double[] s_buckets = Histogram.ExponentialBuckets(0.001, 2, 16);

    public ServiceProxyMetrics(CollectorRegistry registry)
    {
        MetricFactory factory = Metrics.WithCustomRegistry(registry);
        SyncDuration = factory.CreateHistogram(
            "kubeproxy_sync_proxy_rules_duration_seconds", "How long one sync of the iptables rules took.", new HistogramConfiguration { Buckets = s_buckets });
        NetworkProgramming = factory.CreateHistogram(
            "kubeproxy_network_programming_duration_seconds", "From a Service or EndpointSlice change to the end of the sync that applied it.",
            new HistogramConfiguration { Buckets = s_buckets });
        LastSync = factory.CreateGauge("kubeproxy_sync_proxy_rules_last_timestamp_seconds", "When the last successful sync finished (unix seconds).");
        Failures = factory.CreateCounter("kubeproxy_sync_proxy_rules_iptables_restore_failures_total", "Syncs whose iptables-restore failed.");
        Rules = factory.CreateGauge("kubeproxy_sync_proxy_rules_iptables_total", "Rules in the proxy's desired set.");
    }

    public Histogram SyncDuration { get; }

    public Histogram NetworkProgramming { get; }

    public Gauge LastSync { get; }

    public Counter Failures { get; }

    public Gauge Rules { get; }
}
