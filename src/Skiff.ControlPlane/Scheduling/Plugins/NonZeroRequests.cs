using System.Runtime.CompilerServices;
using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// What scoring assumes a pod uses: <see cref="PodRequests.Of(V1Pod)"/>, except that a container that requests no cpu counts as
/// 100m and one that requests no memory as 200Mi (upstream's GetNonzeroRequests), so best-effort pods still spread out.
/// An explicit zero request stays zero. Results are remembered per pod object, which the scheduler never mutates.
/// </summary>
public static class NonZeroRequests
{
    public const long DefaultMilliCpu = 100;

    public const long DefaultMemory = 200L * 1024 * 1024;

    private static readonly ConditionalWeakTable<V1Pod, Resources> s_cache = [];

    public static Resources Of(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return s_cache.GetValue(pod, Compute);
    }

    /// <summary>The non-zero cpu and memory of every pod on the node (upstream's NodeInfo.NonZeroRequested).</summary>
    public static (long MilliCpu, long Memory) OfNode(NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(node);

        // Kept up to date by NodeInfo on every add and remove, so scoring does not walk the node's pods.
        return node.NonZeroRequested;
    }

    private static Resources Compute(V1Pod pod) => PodRequests.Of(pod, Requests);

    private static Resources Requests(V1Container container)
    {
        IDictionary<string, ResourceQuantity>? requests = container.Resources?.Requests;
        Resources value = Resources.From(requests, pods: 0);
        if (requests is null || !requests.ContainsKey("cpu"))
        {
            value = value with { MilliCpu = DefaultMilliCpu };
        }

        if (requests is null || !requests.ContainsKey("memory"))
        {
            value = value with { Memory = DefaultMemory };
        }

        return value;
    }
}
