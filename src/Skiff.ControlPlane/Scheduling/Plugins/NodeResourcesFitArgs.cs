namespace Skiff.ControlPlane.Scheduling.Plugins;

public enum ScoringStrategyType
{
    /// <summary>Prefer the emptiest node (spreads load); the default.</summary>
    LeastAllocated,

    /// <summary>Prefer the fullest node that still fits (bin packing).</summary>
    MostAllocated,

    /// <summary>Score by a piecewise-linear function of utilization given as shape points.</summary>
    RequestedToCapacityRatio,
}

/// <summary>One point of a RequestedToCapacityRatio shape: utilization 0–100 (percent) maps to score 0–10.</summary>
public sealed record UtilizationShapePoint(int Utilization, int Score);

/// <summary>Upstream's NodeResourcesFitArgs: the scoring strategy and the extended resources the Filter ignores.</summary>
public sealed record NodeResourcesFitArgs
{
    public ScoringStrategyType Strategy { get; init; } = ScoringStrategyType.LeastAllocated;

    /// <summary>Resources scored and their weights; upstream's default is cpu and memory, weight 1 each.</summary>
    public IReadOnlyList<ResourceWeight> Resources { get; init; } = ResourceAllocation.CpuAndMemory;

    /// <summary>Only for RequestedToCapacityRatio; utilizations strictly increasing.</summary>
    public IReadOnlyList<UtilizationShapePoint> Shape { get; init; } = [];

    /// <summary>Extended resources the Filter does not check (e.g. one a device plugin manages itself).</summary>
    public IReadOnlySet<string> IgnoredResources { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Extended resource groups (the part before '/') the Filter does not check.</summary>
    public IReadOnlySet<string> IgnoredResourceGroups { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}
