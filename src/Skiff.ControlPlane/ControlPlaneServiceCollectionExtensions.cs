using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Skiff.ControlPlane.Controllers;
using Skiff.ControlPlane.Controllers.CronJob;
using Skiff.ControlPlane.Controllers.DaemonSet;
using Skiff.ControlPlane.Controllers.Deployment;
using Skiff.ControlPlane.Controllers.Disruption;
using Skiff.ControlPlane.Controllers.EndpointSlice;
using Skiff.ControlPlane.Controllers.Endpoints;
using Skiff.ControlPlane.Controllers.GarbageCollector;
using Skiff.ControlPlane.Controllers.Job;
using Skiff.ControlPlane.Controllers.KubeDns;
using Skiff.ControlPlane.Controllers.Namespace;
using Skiff.ControlPlane.Controllers.NodeIpam;
using Skiff.ControlPlane.Controllers.NodeLifecycle;
using Skiff.ControlPlane.Controllers.PodGC;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Controllers.ResourceQuota;
using Skiff.ControlPlane.Controllers.ServiceAccount;
using Skiff.ControlPlane.Controllers.ServiceLoadBalancer;
using Skiff.ControlPlane.Controllers.StatefulSet;
using Skiff.ControlPlane.Events;
using Skiff.ControlPlane.Instrumentation;
using Skiff.ControlPlane.Scheduling;
using k8s;

namespace Skiff.ControlPlane;

public static class ControlPlaneServiceCollectionExtensions
{
    /// <summary>
    /// Registers the leader-elected controller manager and its controllers. The host supplies the client configuration;
    /// the controllers reach state only through that client (DESIGN.md). Needs a <see cref="TimeProvider"/> registration.
    /// </summary>
    public static IServiceCollection AddSkiffControlPlane(this IServiceCollection services, Action<ControlPlaneOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<ControlPlaneOptions>()
            .Configure(configure)
            .Validate(o => o.Client is not null, "ControlPlaneOptions.Client is required.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Identity), "ControlPlaneOptions.Identity is required.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.CaPem), "ControlPlaneOptions.CaPem is required.")
            .Validate(o => CidrSet.Problem(o.ClusterCidr, o.EffectiveNodeCidrMaskSize) is null, "ControlPlaneOptions.NodeCidrMaskSize does not fit ControlPlaneOptions.ClusterCidr.")
            .Validate(o => o.NodeMonitorPeriod > TimeSpan.Zero && o.NodeMonitorGracePeriod > TimeSpan.Zero, "ControlPlaneOptions.NodeMonitorPeriod and NodeMonitorGracePeriod must be positive.")
            .ValidateOnStart();
        services.AddKeyedSingleton<IKubernetes>(
            ControlPlaneOptions.ClientKey,
            (provider, _) => new Kubernetes(provider.GetRequiredService<IOptions<ControlPlaneOptions>>().Value.Client!));
        services.AddSingleton<IEventRecorder, EventRecorder>();
        // The host's one registry (the API server serves it at /metrics); a control plane hosted alone gets its own.
        services.TryAddSingleton(_ => Prometheus.Metrics.NewCustomRegistry());
        services.AddSingleton<ControllerMetrics>();
        services.AddSingleton<Controller, NamespaceController>();
        services.AddSingleton<Controller, ServiceAccountController>();
        services.AddSingleton<Controller, ReplicaSetController>();
        services.AddSingleton<Controller, DeploymentController>();
        services.AddSingleton<Controller, NodeLifecycleController>();
        services.AddSingleton<Controller, TaintEvictionController>();
        services.AddSingleton<Controller, NodeIpamController>();
        services.AddSingleton<Controller, GarbageCollectorController>();
        services.AddSingleton<Controller, PodGCController>();
        services.AddSingleton<Controller, StatefulSetController>();
        services.AddSingleton<Controller, DaemonSetController>();
        services.AddSingleton<Controller, EndpointsController>();
        services.AddSingleton<Controller, EndpointSliceController>();
        services.AddSingleton<Controller, ServiceLoadBalancerController>();
        services.AddSingleton<Controller, KubeDnsEndpointsController>();
        services.AddSingleton<Controller, DisruptionController>();
        services.AddSingleton<Controller, ResourceQuotaController>();
        services.AddSingleton<Controller, JobController>();
        services.AddSingleton<Controller, TtlAfterFinishedController>();
        services.AddSingleton<Controller, CronJobController>();
        services.AddHostedService<ControllerManager>();
        return services;
    }

    /// <summary>
    /// Registers the leader-elected scheduler (Lease <c>kube-system/kube-scheduler</c>), separate from the controller manager
    /// as upstream's kube-scheduler is: its own client certificate, its own switch (<c>--disable-scheduler</c>).
    /// </summary>
    public static IServiceCollection AddSkiffScheduler(this IServiceCollection services, Action<SchedulerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SchedulerOptions>()
            .Configure(configure)
            .Validate(o => o.Client is not null, "SchedulerOptions.Client is required.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Identity), "SchedulerOptions.Identity is required.")
            .ValidateOnStart();
        services.AddKeyedSingleton<IKubernetes>(
            SchedulerOptions.ClientKey,
            (provider, _) => new Kubernetes(provider.GetRequiredService<IOptions<SchedulerOptions>>().Value.Client!));
        services.TryAddSingleton(_ => Prometheus.Metrics.NewCustomRegistry());
        services.AddSingleton<SchedulerMetrics>();
        services.AddHostedService<SchedulerService>();
        return services;
    }
}
