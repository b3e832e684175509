using k8s;
using Skiff.ControlPlane.Scheduling.Configuration;

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
    /// Builds the profiles for one leadership term from what the runner's informers answer (namespace labels, the selectors of
    /// default spread constraints, claims and volumes). Null: the default profile only (<c>default-scheduler</c>);
    /// <c>--scheduler-config</c> sets it to <see cref="SchedulerConfiguration.LoadProfileFactory"/>.
    /// </summary>
    public Func<PluginFactoryContext, IReadOnlyList<Profile>>? Profiles { get; set; }

    /// <summary>Workers for the Filter and Score phases (the configuration's parallelism); null: the core count.</summary>
    public int? Parallelism { get; set; }
}
