using k8s;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>What the host gives the scheduler: how to reach the API server, who this instance is, and its profiles.</summary>
public sealed class SchedulerOptions
{
    /// <summary>The DI key of the scheduler's <see cref="IKubernetes"/> (its own <c>system:kube-scheduler</c> client certificate).</summary>
    public const string ClientKey = "skiff-scheduler";

    /// <summary>Loopback HTTPS to the API server, trusting only the cluster CA, with the scheduler's client certificate.</summary>
    public KubernetesClientConfiguration? Client { get; set; }

    /// <summary>The holder identity in the Lease <c>kube-system/kube-scheduler</c> (upstream: hostname plus a random suffix).</summary>
    public string Identity { get; set; } = "";

    /// <summary>Completes once the API server serves requests; the host wires it to its readiness milestone.</summary>
    public Func<CancellationToken, Task> WaitForApiAsync { get; set; } = _ => Task.CompletedTask;

    /// <summary>
    /// Builds the profiles for one leadership term, given the namespace-labels lookup the runner's informers answer (for
    /// InterPodAffinity's namespaceSelector). Null: the default profile only (<c>default-scheduler</c>).
    /// </summary>
    public Func<NamespaceLabelsLookup?, IReadOnlyList<Profile>>? Profiles { get; set; }
}
