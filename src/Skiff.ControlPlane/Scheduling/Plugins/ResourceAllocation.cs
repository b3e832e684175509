using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>A resource that scoring looks at, with its weight (upstream's config.ResourceSpec).</summary>
public sealed record ResourceWeight(string Name, long Weight);

/// <summary>
/// The part NodeResourcesFit and NodeResourcesBalancedAllocation share (upstream's resourceAllocationScorer): for each scored
/// resource, the node's allocatable and what it would have requested with the pod placed.
/// </summary>
internal static class ResourceAllocation
{
    public static IReadOnlyList<ResourceWeight> CpuAndMemory { get; } = [new("cpu", 1), new("memory", 1)];

    /// <summary>The pod's request per resource, in the order of <paramref name="resources"/>.</summary>
    public static long[] PodRequests(V1Pod pod, IReadOnlyList<ResourceWeight> resources, bool useRequested)
    {
        Resources requests = useRequested ? Framework.PodRequests.Of(pod) : NonZeroRequests.Of(pod);
        var values = new long[resources.Count];
        for (int i = 0; i < resources.Count; i++)
        {
            values[i] = Get(requests, resources[i].Name);
        }

        return values;
    }

    /// <summary>
    /// Fills allocatable and requested (node plus pod) per resource. cpu and memory use the non-zero node sums unless
    /// <paramref name="useRequested"/>; an extended resource the pod does not request is left at 0/0 so it is not scored.
    /// </summary>
    public static void Fill(NodeInfo node, IReadOnlyList<ResourceWeight> resources, long[] podRequests, bool useRequested, Span<long> allocatable, Span<long> requested)
    {
        (long MilliCpu, long Memory)? nonZero = null;
        for (int i = 0; i < resources.Count; i++)
        {
            string name = resources[i].Name;
            long pod = podRequests[i];
            allocatable[i] = 0;
            requested[i] = 0;
            switch (name)
            {
                case "cpu":
                    nonZero ??= useRequested ? (node.Requested.MilliCpu, node.Requested.Memory) : NonZeroRequests.OfNode(node);
                    allocatable[i] = node.Allocatable.MilliCpu;
                    requested[i] = nonZero.Value.MilliCpu + pod;
                    break;
                case "memory":
                    nonZero ??= useRequested ? (node.Requested.MilliCpu, node.Requested.Memory) : NonZeroRequests.OfNode(node);
                    allocatable[i] = node.Allocatable.Memory;
                    requested[i] = nonZero.Value.Memory + pod;
                    break;
                case "ephemeral-storage":
                    allocatable[i] = node.Allocatable.EphemeralStorage;
                    requested[i] = node.Requested.EphemeralStorage + pod;
                    break;
                default:
                    if (pod != 0 && Resources.IsScalar(name) && node.Allocatable.Scalar.TryGetValue(name, out long capacity))
                    {
                        allocatable[i] = capacity;
                        requested[i] = node.Requested.Scalar.GetValueOrDefault(name) + pod;
                    }

                    break;
            }
        }
    }

    public static long Get(Resources resources, string name) => name switch
    {
        "cpu" => resources.MilliCpu,
        "memory" => resources.Memory,
        "ephemeral-storage" => resources.EphemeralStorage,
        "pods" => resources.Pods,
        _ => resources.Scalar.GetValueOrDefault(name),
    };
}
