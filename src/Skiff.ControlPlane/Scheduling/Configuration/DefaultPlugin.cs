namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>A plugin of upstream's default profile, with its default score weight (0: not a score plugin, or 1).</summary>
public sealed record DefaultPlugin(string Name, int Weight = 0);
