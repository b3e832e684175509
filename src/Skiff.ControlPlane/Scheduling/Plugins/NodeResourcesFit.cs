using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// Filter: the pod's requests (<see cref="PodRequests.Of(V1Pod)"/>) must fit in allocatable minus what the node's pods already
/// request, for cpu, memory, ephemeral-storage, extended resources and the pod count, with one reason per short resource
/// ("Insufficient cpu", "Too many pods"). Score: by <see cref="NodeResourcesFitArgs.Strategy"/> over the configured
/// resources, using <see cref="NonZeroRequests"/> for cpu and memory.
/// </summary>
public sealed class NodeResourcesFit : IPreFilterPlugin, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "NodeResourcesFit";

    public const string ErrReasonTooManyPods = "Too many pods";

    /// <summary>Upstream's default weight in the default profile.</summary>
    public const int DefaultWeight = 1;

    private const string PreFilterKey = "PreFilter" + PluginName;
    private const string PreScoreKey = "PreScore" + PluginName;
    private const long MaxUtilization = 100;

    private readonly NodeResourcesFitArgs _args;
    private readonly Func<long, long, long> _resourceScore;

    public NodeResourcesFit()
        : this(new NodeResourcesFitArgs())
    {
    }

    public NodeResourcesFit(NodeResourcesFitArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Resources.Count == 0 || args.Resources.Any(r => r.Weight <= 0))
        {
            throw new ArgumentException("scoring resources must be listed with positive weights", nameof(args));
        }

        _args = args;
        _resourceScore = args.Strategy switch
        {
            ScoringStrategyType.LeastAllocated => LeastAllocated,
            ScoringStrategyType.MostAllocated => MostAllocated,
            ScoringStrategyType.RequestedToCapacityRatio => RequestedToCapacityRatio(args.Shape),
            _ => throw new ArgumentException($"unknown scoring strategy {args.Strategy}", nameof(args)),
        };
    }

    public string Name => PluginName;

    public static string InsufficientReason(string resource) => $"Insufficient {resource}";

    public PluginStatus PreFilter(CycleState state, V1Pod pod, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Write(PreFilterKey, PodRequests.Of(pod));
        return PluginStatus.Success;
    }

    public PluginStatus Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(node);
        Resources request = state.Read<Resources>(PreFilterKey) ?? PodRequests.Of(pod);

        // Most nodes fit: the list of reasons is made only for one that does not.
        List<string>? reasons = null;
        bool unresolvable = false;
        if (node.Pods.Count + 1 > node.Allocatable.Pods)
        {
            (reasons ??= []).Add(ErrReasonTooManyPods);
        }

        if (request.MilliCpu == 0 && request.Memory == 0 && request.EphemeralStorage == 0 && request.Scalar.Count == 0)
        {
            return Result(reasons, unresolvable);
        }

        Resources allocatable = node.Allocatable;
        Resources requested = node.Requested;
        Check("cpu", request.MilliCpu, allocatable.MilliCpu, requested.MilliCpu);
        Check("memory", request.Memory, allocatable.Memory, requested.Memory);
        Check("ephemeral-storage", request.EphemeralStorage, allocatable.EphemeralStorage, requested.EphemeralStorage);
        if (request.Scalar.Count > 0)
        {
            foreach ((string name, long value) in request.Scalar.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (!Ignored(name))
                {
                    Check(name, value, allocatable.Scalar.GetValueOrDefault(name), requested.Scalar.GetValueOrDefault(name));
                }
            }
        }

        return Result(reasons, unresolvable);

        void Check(string name, long want, long capacity, long used)
        {
            if (want > 0 && want > capacity - used)
            {
                (reasons ??= []).Add(InsufficientReason(name));

                // Not even an empty node would fit it, so preempting pods here cannot help.
                unresolvable |= want > capacity;
            }
        }
    }

    public PluginStatus PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        state.Write(PreScoreKey, ResourceAllocation.PodRequests(pod, _args.Resources, useRequested: false));
        return PluginStatus.Success;
    }

    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);
        IReadOnlyList<ResourceWeight> resources = _args.Resources;
        long[] podRequests = state.Read<long[]>(PreScoreKey) ?? ResourceAllocation.PodRequests(pod, resources, useRequested: false);
        Span<long> allocatable = resources.Count <= 8 ? stackalloc long[resources.Count] : new long[resources.Count];
        Span<long> requested = resources.Count <= 8 ? stackalloc long[resources.Count] : new long[resources.Count];
        ResourceAllocation.Fill(node, resources, podRequests, useRequested: false, allocatable, requested);

        long score = 0, weightSum = 0;
        for (int i = 0; i < resources.Count; i++)
        {
            if (allocatable[i] == 0)
            {
                continue;
            }

            long resourceScore = _resourceScore(requested[i], allocatable[i]);

            // RequestedToCapacityRatio leaves resources scoring 0 out of the average, as upstream does.
            if (_args.Strategy == ScoringStrategyType.RequestedToCapacityRatio && resourceScore <= 0)
            {
                continue;
            }

            score += resourceScore * resources[i].Weight;
            weightSum += resources[i].Weight;
        }

        if (weightSum == 0)
        {
            return 0;
        }

        return _args.Strategy == ScoringStrategyType.RequestedToCapacityRatio
            ? (long)Math.Round((double)score / weightSum, MidpointRounding.AwayFromZero)
            : score / weightSum;
    }

    private static long LeastAllocated(long requested, long capacity) =>
        capacity == 0 || requested > capacity ? 0 : (capacity - requested) * IScorePlugin.MaxNodeScore / capacity;

    // requested can exceed capacity because pods without requests count with the non-zero defaults.
    private static long MostAllocated(long requested, long capacity) =>
        capacity == 0 ? 0 : Math.Min(requested, capacity) * IScorePlugin.MaxNodeScore / capacity;

    private static Func<long, long, long> RequestedToCapacityRatio(IReadOnlyList<UtilizationShapePoint> shape)
    {
        if (shape.Count == 0)
        {
            throw new ArgumentException("RequestedToCapacityRatio needs at least one shape point", nameof(shape));
        }

        for (int i = 0; i < shape.Count; i++)
        {
            if (shape[i].Utilization is < 0 or > 100 || shape[i].Score is < 0 or > 10 || (i > 0 && shape[i].Utilization <= shape[i - 1].Utilization))
            {
                throw new ArgumentException("shape points need utilization 0–100, strictly increasing, and score 0–10", nameof(shape));
            }
        }

        // Shape scores are 0–10; nodes score 0–100.
        long[] utilization = [.. shape.Select(p => (long)p.Utilization)];
        long[] scores = [.. shape.Select(p => p.Score * (IScorePlugin.MaxNodeScore / 10))];

        long Linear(long p)
        {
            for (int i = 0; i < utilization.Length; i++)
            {
                if (p <= utilization[i])
                {
                    return i == 0
                        ? scores[0]
                        : scores[i - 1] + ((scores[i] - scores[i - 1]) * (p - utilization[i - 1]) / (utilization[i] - utilization[i - 1]));
                }
            }

            return scores[^1];
        }

        return (requested, capacity) => capacity == 0 || requested > capacity
            ? Linear(MaxUtilization)
            : Linear(requested * MaxUtilization / capacity);
    }

    private static PluginStatus Result(List<string>? reasons, bool unresolvable) => reasons is null
        ? PluginStatus.Success
        : new PluginStatus(unresolvable ? StatusCode.UnschedulableAndUnresolvable : StatusCode.Unschedulable, reasons, PluginName);

    private bool Ignored(string name)
    {
        if (_args.IgnoredResources.Contains(name))
        {
            return true;
        }

        int slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && _args.IgnoredResourceGroups.Contains(name[..slash]);
    }
}
