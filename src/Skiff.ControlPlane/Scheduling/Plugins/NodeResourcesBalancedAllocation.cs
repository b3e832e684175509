using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// Score: prefers nodes whose cpu and memory would be used in equal proportion with the pod placed. Each resource's
/// fraction requested/allocatable (capped at 1, real requests, no non-zero defaults) feeds a standard deviation; the score
/// is (1 − std) × 100 (upstream 1.32, which still scores best-effort pods).
/// </summary>
public sealed class NodeResourcesBalancedAllocation : IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "NodeResourcesBalancedAllocation";

    /// <summary>Upstream's default weight in the default profile.</summary>
    public const int DefaultWeight = 1;

    private const string PreScoreKey = "PreScore" + PluginName;

    private readonly IReadOnlyList<ResourceWeight> _resources;

    public NodeResourcesBalancedAllocation()
        : this(ResourceAllocation.CpuAndMemory)
    {
    }

    /// <summary>The resources compared (weights are not used by this plugin, as upstream).</summary>
    public NodeResourcesBalancedAllocation(IReadOnlyList<ResourceWeight> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        _resources = resources;
    }

    public string Name => PluginName;

    public PluginStatus PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        state.Write(PreScoreKey, ResourceAllocation.PodRequests(pod, _resources, useRequested: true));
        return PluginStatus.Success;
    }

    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);
        long[] podRequests = state.Read<long[]>(PreScoreKey) ?? ResourceAllocation.PodRequests(pod, _resources, useRequested: true);
        int count = _resources.Count;
        Span<long> allocatable = count <= 8 ? stackalloc long[count] : new long[count];
        Span<long> requested = count <= 8 ? stackalloc long[count] : new long[count];
        Span<double> fractions = count <= 8 ? stackalloc double[count] : new double[count];
        ResourceAllocation.Fill(node, _resources, podRequests, useRequested: true, allocatable, requested);

        int used = 0;
        for (int i = 0; i < count; i++)
        {
            if (allocatable[i] != 0)
            {
                fractions[used++] = Math.Min(1.0, (double)requested[i] / allocatable[i]);
            }
        }

        double std = 0;
        if (used == 2)
        {
            std = Math.Abs((fractions[0] - fractions[1]) / 2);
        }
        else if (used > 2)
        {
            double mean = 0;
            for (int i = 0; i < used; i++)
            {
                mean += fractions[i];
            }

            mean /= used;
            double squares = 0;
            for (int i = 0; i < used; i++)
            {
                squares += (fractions[i] - mean) * (fractions[i] - mean);
            }

            std = Math.Sqrt(squares / used);
        }

        return (long)((1 - std) * IScorePlugin.MaxNodeScore);
    }
}
