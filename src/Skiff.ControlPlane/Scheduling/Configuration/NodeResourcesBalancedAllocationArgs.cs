using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>Upstream's NodeResourcesBalancedAllocationArgs: the resources whose usage is balanced (default cpu and memory).</summary>
public sealed record NodeResourcesBalancedAllocationArgs(IReadOnlyList<ResourceWeight> Resources);
