using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Skiff.Agent.Kubelet;

/// <summary>Who this node is and how often the <see cref="Kubelet"/> renews its Lease and relists the runtime.</summary>
public sealed record KubeletOptions
{
    /// <summary>The Node object's name (also its Lease's name and the pods' spec.nodeName).</summary>
    public required string NodeName { get; init; }

    /// <summary>The node's InternalIP address, also reported as each pod's hostIP.</summary>
    public required string InternalIp { get; init; }

    /// <summary>The node's Hostname address; defaults to <see cref="NodeName"/>.</summary>
    public string? Hostname { get; init; }

    /// <summary>Where pod log directories live; its filesystem's size is the node's ephemeral-storage capacity.</summary>
    public required string DataDir { get; init; }

    /// <summary>How often the node Lease in kube-node-lease is renewed.</summary>
    public TimeSpan LeaseRenewInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The Lease's leaseDurationSeconds.</summary>
    public int LeaseDurationSeconds { get; init; } = 40;

    /// <summary>How often the runtime's sandboxes and containers are listed to compute pod status and find orphans.</summary>
    public TimeSpan RelistInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most pods the node admits (capacity "pods").</summary>
    public int MaxPods { get; init; } = 110;

    /// <summary>Reported as nodeInfo.kubeletVersion.</summary>
    public string KubeletVersion { get; init; } = "v1.32.0-skiff";

    /// <summary>The cluster DNS server's IP given to ClusterFirst pods; without it they get the node's resolv.conf.</summary>
    public string? ClusterDns { get; init; }

    /// <summary>The cluster's DNS domain: pods search <c>&lt;ns&gt;.svc.&lt;domain&gt;</c>, <c>svc.&lt;domain&gt;</c> and it.</summary>
    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>The node's resolver file, given to pods with dnsPolicy Default (and ClusterFirst without <see cref="ClusterDns"/>).</summary>
    public string ResolvConf { get; init; } = "/etc/resolv.conf";

    /// <summary>The cgroup (cgroupfs path) under which the <c>kubepods</c> hierarchy of pod cgroups lives.</summary>
    public string CgroupRoot { get; init; } = "/skiff";

    /// <summary>Where cgroup controllers are mounted (v1 per-controller dirs, or a cgroup v2 tree).</summary>
    public string CgroupMount { get; init; } = "/sys/fs/cgroup";

    /// <summary>Allocatable cpu, memory and storage for resourceFieldRef defaults and oom_score_adj; null reads the node's.</summary>
    public Config.NodeResources? NodeAllocatable { get; init; }

    /// <summary>
    /// The registries file (k3s's registries.yaml format; flag <c>--registries-file</c>): its <c>configs.*.auth</c> credentials are
    /// sent with pulls from those hosts (and from registries mirrored to them). Read at every pull; null or absent: none.
    /// </summary>
    public string? RegistriesFile { get; init; }

    /// <summary>The first delay after a failed pull before the image is pulled again (ImagePullBackOff); it doubles per failure.</summary>
    public TimeSpan ImagePullBackOff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest delay between pulls of an image that keeps failing.</summary>
    public TimeSpan ImagePullBackOffMax { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The first crash-loop back-off delay of a restarted container (upstream: 10 s); it doubles per restart.</summary>
    public TimeSpan CrashLoopBackOffBase { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest crash-loop back-off delay (upstream: 5 min).</summary>
    public TimeSpan CrashLoopBackOffMax { get; init; } = TimeSpan.FromMinutes(5);

    public string PodLogDir => Path.Combine(DataDir, "pods");

    /// <summary>
    /// The kubelet's HTTPS port (logs, exec, attach, port-forward, metrics, stats; 10250 in production), also reported in the
    /// Node's status.daemonEndpoints. Null: no server. Needs <see cref="ServingCertificate"/> and <see cref="ClientCa"/>.
    /// </summary>
    public int? ServerPort { get; init; }

    /// <summary>The address the kubelet server listens on; null listens on every address.</summary>
    public IPAddress? ServerAddress { get; init; }

    /// <summary>The kubelet server's certificate, with its private key.</summary>
    public X509Certificate2? ServingCertificate { get; init; }

    /// <summary>The CA that signs clients' certificates (the cluster CA): a client without a certificate it signed is refused.</summary>
    public X509Certificate2? ClientCa { get; init; }

    /// <summary>Resources kept for the Kubernetes daemons (<c>--kube-reserved</c>), subtracted from capacity in allocatable.</summary>
    public IReadOnlyDictionary<string, k8s.Models.ResourceQuantity> KubeReserved { get; init; } = new Dictionary<string, k8s.Models.ResourceQuantity>();

    /// <summary>Resources kept for the operating system (<c>--system-reserved</c>), subtracted from capacity in allocatable.</summary>
    public IReadOnlyDictionary<string, k8s.Models.ResourceQuantity> SystemReserved { get; init; } = new Dictionary<string, k8s.Models.ResourceQuantity>();

    /// <summary>Hard eviction thresholds (<c>--eviction-hard</c>); they also drive the MemoryPressure, DiskPressure and PIDPressure conditions.</summary>
    public EvictionThresholds EvictionHard { get; init; } = EvictionThresholds.Default;

    /// <summary>Extra labels the kubelet puts on its Node at registration (such as node-role.kubernetes.io/control-plane).</summary>
    public IReadOnlyDictionary<string, string> NodeLabels { get; init; } = new Dictionary<string, string>();

    /// <summary>How often the node's conditions are recomputed (upstream's nodeStatusUpdateFrequency, 10 s).</summary>
    public TimeSpan NodeStatusUpdateInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the node status is written even when nothing changed (upstream's nodeStatusReportFrequency, 5 min).</summary>
    public TimeSpan NodeStatusReportInterval { get; init; } = TimeSpan.FromMinutes(5);
}
