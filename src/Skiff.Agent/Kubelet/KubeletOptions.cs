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

    /// <summary>The first crash-loop back-off delay of a restarted container (upstream: 10 s); it doubles per restart.</summary>
    public TimeSpan CrashLoopBackOffBase { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest crash-loop back-off delay (upstream: 5 min).</summary>
    public TimeSpan CrashLoopBackOffMax { get; init; } = TimeSpan.FromMinutes(5);

    public string PodLogDir => Path.Combine(DataDir, "pods");
}
