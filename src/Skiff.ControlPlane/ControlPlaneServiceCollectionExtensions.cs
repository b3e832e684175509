using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Skiff.ControlPlane.Controllers;
using Skiff.ControlPlane.Controllers.CronJob;
using Skiff.ControlPlane.Controllers.Deployment;
using Skiff.ControlPlane.Controllers.Job;
using Skiff.ControlPlane.Controllers.Namespace;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Controllers.ServiceAccount;
using Skiff.ControlPlane.Events;

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
            .ValidateOnStart();
        services.AddKeyedSingleton<IKubernetes>(
            ControlPlaneOptions.ClientKey,
            (provider, _) => new Kubernetes(provider.GetRequiredService<IOptions<ControlPlaneOptions>>().Value.Client!));
        services.AddSingleton<IEventRecorder, EventRecorder>();
        services.AddSingleton<Controller, NamespaceController>();
        services.AddSingleton<Controller, ServiceAccountController>();
        services.AddSingleton<Controller, ReplicaSetController>();
        services.AddSingleton<Controller, DeploymentController>();
        services.AddSingleton<Controller, JobController>();
        services.AddSingleton<Controller, TtlAfterFinishedController>();
        services.AddSingleton<Controller, CronJobController>();
        services.AddHostedService<ControllerManager>();
        return services;
    }
}
