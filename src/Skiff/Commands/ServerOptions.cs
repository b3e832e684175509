using System.Net;

namespace Skiff.Commands;

/// <summary>Everything <c>skiff server</c> was told on its command line, parsed and validated; nothing downstream sees a flag string.</summary>
internal sealed record ServerOptions
{
    public required string DataDirectory { get; init; }

    /// <summary>A SQLite path, <c>sqlite://PATH</c>, <c>etcd://host:port,...</c> or <c>memory://</c>; already checked by <c>StoreEndpoint.Parse</c>.</summary>
    public required string DatastoreEndpoint { get; init; }

    public string EtcdPrefix { get; init; } = "/registry";

    public IPAddress BindAddress { get; init; } = IPAddress.Any;

    public int SecurePort { get; init; } = 6443;

    public IPNetwork ClusterCidr { get; init; } = IPNetwork.Parse("10.42.0.0/16");

    /// <summary>The prefix length of each node's pod CIDR; 0 means the default for the cluster CIDR's family (24 or 64).</summary>
    public int NodeCidrMaskSize { get; init; }

    /// <summary>How long a silent node stays Ready before the node lifecycle controller marks it Unknown.</summary>
    public TimeSpan NodeMonitorGracePeriod { get; init; } = TimeSpan.FromSeconds(40);

    public IPNetwork ServiceCidr { get; init; } = IPNetwork.Parse("10.43.0.0/16");

    public IPAddress ClusterDns { get; init; } = IPAddress.Parse("10.43.0.10");

    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>Where LoadBalancer Services' external IPs come from; null: the ready nodes' InternalIPs.</summary>
    public IPNetwork? ServiceLoadBalancerPool { get; init; }

    public bool DisableAgent { get; init; }

    public bool DisableControllerManager { get; init; }

    public bool DisableScheduler { get; init; }

    /// <summary>The profiles of <c>--scheduler-config</c>, already read and validated; null: kube-scheduler's default profile.</summary>
    public Skiff.ControlPlane.Scheduling.Configuration.SchedulerConfiguration? SchedulerConfiguration { get; init; }

    /// <summary>kube-controller-manager's --terminated-pod-gc-threshold (0 or less: never).</summary>
    public int TerminatedPodGCThreshold { get; init; } = 12500;

    /// <summary>The audit policy of <c>--audit-policy-file</c>, already read and validated; null: nothing is audited.</summary>
    public Skiff.ApiServer.Audit.AuditPolicy? AuditPolicy { get; init; }

    /// <summary><c>--audit-log-path</c>: a file, or "-" for standard output.</summary>
    public string? AuditLogPath { get; init; }

    /// <summary><c>--audit-log-maxsize</c> in megabytes (0: never rotate).</summary>
    public int AuditLogMaxSize { get; init; }

    /// <summary><c>--audit-log-maxbackup</c> (0: keep every rotated file).</summary>
    public int AuditLogMaxBackup { get; init; }

    /// <summary>The keys of <c>--encryption-provider-config</c>, already read and validated; null: values are stored as they are.</summary>
    public Skiff.ApiServer.Encryption.EncryptionConfiguration? EncryptionConfiguration { get; init; }

    public required string NodeName { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>The node agent's flags (node IP, runtime endpoint, kubelet port, reservations, eviction thresholds).</summary>
    public NodeSettings Node { get; init; } = new();

    /// <summary>
    /// The URL local clients use: loopback when the server listens on every address, else the one address it listens on.
    /// </summary>
    public Uri LocalUrl
    {
        get
        {
            IPAddress host = BindAddress.Equals(IPAddress.Any) || BindAddress.Equals(IPAddress.IPv6Any) ? IPAddress.Loopback : BindAddress;
            return new Uri($"https://{new IPEndPoint(host, SecurePort)}");
        }
    }
}
