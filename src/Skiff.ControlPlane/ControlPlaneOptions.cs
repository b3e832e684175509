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
}
