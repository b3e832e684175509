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

    public string PodLogDir => Path.Combine(DataDir, "pods");

    /// <summary>The kubelet's HTTPS port (logs, exec, attach, port-forward), reported as daemonEndpoints.kubeletEndpoint.Port.</summary>
    public int ServerPort { get; init; } = 10250;

    /// <summary>The kubelet's serving certificate (with its key), signed by the cluster CA for the node's names and addresses; null: no server.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ServingCertificate { get; init; }

    /// <summary>The CA whose client certificates the kubelet server accepts (the cluster CA).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCa { get; init; }

    /// <summary>A registries.yaml-style file of mirrors and credentials (<c>--registries-file</c>); null: none.</summary>
    public string? RegistriesFile { get; init; }

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
