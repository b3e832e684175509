using k8s.Models;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>Upstream's PodTopologySpreadArgs.defaultingType.</summary>
public enum PodTopologySpreadDefaultingType
{
    /// <summary>Upstream's built-in defaults: spread over hostnames (maxSkew 3) and zones (maxSkew 5), both ScheduleAnyway.</summary>
    System,

    /// <summary>Exactly <see cref="PodTopologySpreadArgs.DefaultConstraints"/> (none when empty).</summary>
    List,
}

/// <summary>Finds the selector default constraints count pods with: upstream derives it from the Services, ReplicaSets, … selecting the pod.</summary>
public delegate V1LabelSelector? DefaultSpreadSelectorLookup(V1Pod pod);

/// <summary>
/// Upstream's PodTopologySpreadArgs: constraints for pods that declare none. They apply only when a
/// <see cref="DefaultSpreadSelectorLookup"/> finds a non-empty selector for the pod, as upstream skips them otherwise.
/// </summary>
public sealed record PodTopologySpreadArgs
{
    public PodTopologySpreadDefaultingType DefaultingType { get; init; } = PodTopologySpreadDefaultingType.System;

    /// <summary>Only with <see cref="PodTopologySpreadDefaultingType.List"/>; labelSelector must be unset (it comes from the lookup).</summary>
    public IReadOnlyList<V1TopologySpreadConstraint> DefaultConstraints { get; init; } = [];

    /// <summary>Upstream's system default constraints.</summary>
    public static IReadOnlyList<V1TopologySpreadConstraint> SystemDefaultConstraints { get; } =
    [
        new() { TopologyKey = "kubernetes.io/hostname", WhenUnsatisfiable = "ScheduleAnyway", MaxSkew = 3 },
        new() { TopologyKey = "topology.kubernetes.io/zone", WhenUnsatisfiable = "ScheduleAnyway", MaxSkew = 5 },
    ];

    /// <summary>The constraints for a pod without its own.</summary>
    public IReadOnlyList<V1TopologySpreadConstraint> EffectiveDefaultConstraints =>
        DefaultingType == PodTopologySpreadDefaultingType.System ? SystemDefaultConstraints : DefaultConstraints;
}
