using System.Collections.Frozen;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>
/// Plugin name → factory (upstream's in-tree registry), and upstream's default plugin set with its score weights. The default
/// profile and every profile from a --scheduler-config file are built from here. Immutable; <see cref="With"/> returns a copy
/// with one more plugin (tests, out-of-tree plugins).
/// </summary>
public sealed class PluginRegistry
{
    private readonly FrozenDictionary<string, PluginRegistration> _plugins;

    private PluginRegistry(IEnumerable<PluginRegistration> plugins, IReadOnlyList<DefaultPlugin> defaults)
    {
        _plugins = plugins.ToFrozenDictionary(p => p.Name, StringComparer.Ordinal);
        DefaultPlugins = defaults;
    }

    /// <summary>Every in-tree plugin Skiff knows.</summary>
    public static PluginRegistry Default { get; } = new(
    [
        PluginRegistration.For(NodeUnschedulable.PluginName, (_, _) => new NodeUnschedulable()),
        PluginRegistration.For(NodeName.PluginName, (_, _) => new NodeName()),
        PluginRegistration.For(TaintToleration.PluginName, (_, _) => new TaintToleration()),
        PluginRegistration.For(NodeAffinity.PluginName, (args, _) => new NodeAffinity((args as NodeAffinityArgs)?.AddedAffinity)),
        PluginRegistration.For(NodePorts.PluginName, (_, _) => new NodePorts()),
        PluginRegistration.For(NodeResourcesFit.PluginName, (args, _) => new NodeResourcesFit(args as NodeResourcesFitArgs ?? new NodeResourcesFitArgs())),
        PluginRegistration.For(PodTopologySpreadPlugin.PluginName, (args, context) =>
            new PodTopologySpreadPlugin(args as PodTopologySpreadArgs ?? new PodTopologySpreadArgs(), context.DefaultSpreadSelector)),
        PluginRegistration.For(InterPodAffinityPlugin.PluginName, (args, context) =>
            new InterPodAffinityPlugin(context.NamespaceLabels, (args as InterPodAffinityArgs)?.HardPodAffinityWeight ?? 1)),
        PluginRegistration.For(NodeResourcesBalancedAllocation.PluginName, (args, _) =>
            new NodeResourcesBalancedAllocation((args as NodeResourcesBalancedAllocationArgs)?.Resources ?? [new("cpu", 1), new("memory", 1)])),
        PluginRegistration.For(ImageLocality.PluginName, (_, _) => new ImageLocality()),

        PluginRegistration.For(DefaultPreemption.PluginName, (args, _) => args is DefaultPreemptionArgs a
            ? new DefaultPreemption(a.MinCandidateNodesPercentage, a.MinCandidateNodesAbsolute)
            : new DefaultPreemption()),
        PluginRegistration.For(VolumeBinding.PluginName, (_, context) => new VolumeBinding(context.Volumes)) with
        {
            // Upstream's VolumeBinding also reserves, pre-binds and scores (provisioning, capacity): accepted at those points.
            ExtensionPoints = new HashSet<string>(
                [ExtensionPoint.PreFilter, ExtensionPoint.Filter, ExtensionPoint.Reserve, ExtensionPoint.PreBind, ExtensionPoint.PreScore, ExtensionPoint.Score],
                StringComparer.Ordinal),
        },

        // Upstream plugins whose job Skiff does elsewhere (queue order, gates, binding) or not yet (volume limits, zones,
        // ReadWriteOncePod): accepted by name so upstream's configurations load, nothing runs.
        PluginRegistration.BuiltIn("PrioritySort", ExtensionPoint.QueueSort),
        PluginRegistration.BuiltIn("SchedulingGates", ExtensionPoint.PreEnqueue),
        PluginRegistration.BuiltIn("DefaultBinder", ExtensionPoint.Bind),
        PluginRegistration.BuiltIn("VolumeRestrictions", ExtensionPoint.PreFilter, ExtensionPoint.Filter),
        PluginRegistration.BuiltIn("NodeVolumeLimits", ExtensionPoint.PreFilter, ExtensionPoint.Filter),
        PluginRegistration.BuiltIn("VolumeZone", ExtensionPoint.PreFilter, ExtensionPoint.Filter),
    ],
    [
        // Upstream 1.32's default multiPoint set, in its order, with its weights.
        new("SchedulingGates"),
        new("PrioritySort"),
        new(NodeUnschedulable.PluginName),
        new(NodeName.PluginName),
        new(TaintToleration.PluginName, TaintToleration.DefaultWeight),
        new(NodeAffinity.PluginName, NodeAffinity.DefaultWeight),
        new(NodePorts.PluginName),
        new(NodeResourcesFit.PluginName, NodeResourcesFit.DefaultWeight),
        new("VolumeRestrictions"),
        new("NodeVolumeLimits"),
        new(VolumeBinding.PluginName),
        new("VolumeZone"),
        new(PodTopologySpreadPlugin.PluginName, 2),
        new(InterPodAffinityPlugin.PluginName, 2),
        new(DefaultPreemption.PluginName),
        new(NodeResourcesBalancedAllocation.PluginName, NodeResourcesBalancedAllocation.DefaultWeight),
        new(ImageLocality.PluginName, ImageLocality.DefaultWeight),
        new("DefaultBinder"),
    ]);

    /// <summary>The default profile's multiPoint plugins, in order (a weight of 0 means 1, as upstream).</summary>
    public IReadOnlyList<DefaultPlugin> DefaultPlugins { get; }

    public IEnumerable<string> Names => _plugins.Keys;

    public PluginRegistration? Find(string name) => _plugins.GetValueOrDefault(name);

    /// <summary>A copy with <paramref name="registration"/> added or replacing the one of the same name.</summary>
    public PluginRegistry With(PluginRegistration registration, bool enableByDefault = false, int weight = 0)
    {
        ArgumentNullException.ThrowIfNull(registration);
        var plugins = _plugins.Values.Where(p => p.Name != registration.Name).Append(registration);
        IReadOnlyList<DefaultPlugin> defaults = enableByDefault && !DefaultPlugins.Any(d => d.Name == registration.Name)
            ? [.. DefaultPlugins, new DefaultPlugin(registration.Name, weight)]
            : DefaultPlugins;
        return new PluginRegistry(plugins, defaults);
    }

    /// <summary>Whether a plugin of this registration can be enabled at <paramref name="point"/>.</summary>
    public static bool Extends(PluginRegistration registration, string point)
    {
        ArgumentNullException.ThrowIfNull(registration);
        return registration.ExtensionPoints.Contains(point);
    }

    /// <summary>Builds a plugin, or null for a built-in name that runs nothing.</summary>
    public static IPlugin? Create(PluginRegistration registration, object? args, PluginFactoryContext context)
    {
        ArgumentNullException.ThrowIfNull(registration);
        return registration.Factory?.Invoke(args, context);
    }
}
