using System.Net;
using k8s;

namespace Skiff.ControlPlane;

/// <summary>What the host gives the control plane: how to reach the API server and who this instance is.</summary>
public sealed class ControlPlaneOptions
{
    /// <summary>The DI key of the control plane's <see cref="IKubernetes"/> (its own client certificate, never a DI shortcut).</summary>
    public const string ClientKey = "skiff-control-plane";

    /// <summary>Loopback HTTPS to the API server, trusting only the cluster CA, with the controller manager's client certificate.</summary>
    public KubernetesClientConfiguration? Client { get; set; }

    /// <summary>The holder identity in the Lease (upstream: hostname plus a random suffix).</summary>
    public string Identity { get; set; } = "";

    /// <summary>The cluster CA certificate (PEM), published in every namespace as the <c>kube-root-ca.crt</c> ConfigMap.</summary>
    public string CaPem { get; set; } = "";

    /// <summary>Completes once the API server serves requests; the host wires it to its readiness milestone.</summary>
    public Func<CancellationToken, Task> WaitForApiAsync { get; set; } = _ => Task.CompletedTask;

    /// <summary>
    /// How many terminated (Succeeded or Failed) pods may exist before the pod garbage collector deletes the oldest
    /// (kube-controller-manager's --terminated-pod-gc-threshold; 0 or less turns that part off).
    /// </summary>
    public int TerminatedPodGCThreshold { get; set; } = 12500;

    /// <summary>How often informers hand every cached object to the handlers again (0: never).</summary>
    public TimeSpan ResyncPeriod { get; set; } = TimeSpan.Zero;

    /// <summary>The network every node's pod CIDR is cut from (<c>skiff server --cluster-cidr</c>).</summary>
    public IPNetwork ClusterCidr { get; set; } = IPNetwork.Parse("10.42.0.0/16");

    /// <summary>
    /// The addresses the service load balancer hands to LoadBalancer Services (<c>skiff server --service-lb-pool</c>); null: each
    /// such Service gets the InternalIPs of the ready nodes, as k3s' klipper-lb does.
    /// </summary>
    public IPNetwork? LoadBalancerPool { get; set; }

    /// <summary>The prefix length of each node's pod CIDR; 0 picks upstream's default (24 for IPv4, 64 for IPv6).</summary>
    public int NodeCidrMaskSize { get; set; }

    /// <summary>How often the node lifecycle controller looks at every node (upstream --node-monitor-period).</summary>
    public TimeSpan NodeMonitorPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a node may go without renewing its Lease or posting status before its conditions turn Unknown (upstream
    /// --node-monitor-grace-period).
    /// </summary>
    public TimeSpan NodeMonitorGracePeriod { get; set; } = TimeSpan.FromSeconds(40);

    /// <summary>The node CIDR prefix length in effect: <see cref="NodeCidrMaskSize"/> or the default for the cluster CIDR's family.</summary>
    public int EffectiveNodeCidrMaskSize =>
        NodeCidrMaskSize > 0 ? NodeCidrMaskSize : ClusterCidr.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 64 : 24;
}
