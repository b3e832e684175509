namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>One entry of a plugin set's enabled list (weight 0: unset).</summary>
internal sealed record PluginSpec(string Name, int Weight);

/// <summary>The enabled and disabled lists of one extension point.</summary>
internal sealed record PluginSetSpec(IReadOnlyList<PluginSpec> Enabled, IReadOnlyList<string> Disabled)
{
    public static PluginSetSpec Empty { get; } = new([], []);
}

/// <summary>A profile as the file gives it, validated, before the defaults are merged in.</summary>
internal sealed record ProfileSpec(
    string SchedulerName,
    int? PercentageOfNodesToScore,
    IReadOnlyDictionary<string, PluginSetSpec> Plugins,
    IReadOnlyDictionary<string, object?> PluginArgs)
{
    public PluginSetSpec Set(string point) => Plugins.GetValueOrDefault(point) ?? PluginSetSpec.Empty;
}
