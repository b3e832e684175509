using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>
/// What plugins may need from the running scheduler besides their args (upstream's framework.Handle, reduced to what ours use).
/// </summary>
/// <param name="NamespaceLabels">Namespace labels for InterPodAffinity's namespaceSelector.</param>
/// <param name="DefaultSpreadSelector">The selector PodTopologySpread's default constraints count pods with.</param>
/// <param name="Volumes">Claims, volumes and storage classes for VolumeBinding (none when null).</param>
public sealed record PluginFactoryContext(
    NamespaceLabelsLookup? NamespaceLabels = null, DefaultSpreadSelectorLookup? DefaultSpreadSelector = null, VolumeLookups? Volumes = null);
