using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>kube-scheduler's default profile: its default plugins in upstream's order, with upstream's score weights.</summary>
public static class DefaultProfile
{
    public static Profile Create(string schedulerName = Profile.DefaultSchedulerName, NamespaceLabelsLookup? namespaceLabels = null) =>
        new(schedulerName,
        [
            new ProfilePlugin(new NodeUnschedulable()),
            new ProfilePlugin(new NodeName()),
            new ProfilePlugin(new TaintToleration(), TaintToleration.DefaultWeight),
            new ProfilePlugin(new NodeAffinity(), NodeAffinity.DefaultWeight),
            new ProfilePlugin(new NodePorts()),
            new ProfilePlugin(new NodeResourcesFit(), NodeResourcesFit.DefaultWeight),
            new ProfilePlugin(new PodTopologySpreadPlugin(), 2),
            new ProfilePlugin(new InterPodAffinityPlugin(namespaceLabels), 2),
            new ProfilePlugin(new NodeResourcesBalancedAllocation(), NodeResourcesBalancedAllocation.DefaultWeight),
            new ProfilePlugin(new ImageLocality(), ImageLocality.DefaultWeight),
            new ProfilePlugin(new DefaultPreemption()),
        ]);
}
