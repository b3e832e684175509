using Skiff.ControlPlane.Scheduling.Configuration;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>
/// kube-scheduler's default profile: its default plugins in upstream's order, with upstream's score weights, as
/// <see cref="PluginRegistry.Default"/> lists them (the same place --scheduler-config profiles are built from).
/// </summary>
public static class DefaultProfile
{
    public static Profile Create(string schedulerName = Profile.DefaultSchedulerName, NamespaceLabelsLookup? namespaceLabels = null) =>
        SchedulerConfiguration.CreateDefaultProfile(schedulerName, new PluginFactoryContext(namespaceLabels));
}
