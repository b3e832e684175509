using System.Collections.Frozen;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Cache;

/// <summary>
/// An immutable view of the cluster for scheduling cycles, made by <see cref="SchedulerCache.UpdateSnapshot"/>. Its NodeInfos are
/// never changed afterwards: the next snapshot shares the unchanged ones and carries fresh copies of the changed ones.
/// </summary>
public sealed class ClusterSnapshot : IClusterSnapshot
{
    public static ClusterSnapshot Empty { get; } = new([], FrozenDictionary<string, int>.Empty, [], 0, new Dictionary<string, int>());

    internal ClusterSnapshot(
        NodeInfo[] nodes, FrozenDictionary<string, int> index, NodeInfo[] nodesWithPodAffinity, long generation, IReadOnlyDictionary<string, int> imageNodeCounts)
    {
        ImageNodeCounts = imageNodeCounts;
        NodeArray = nodes;
        Index = index;
        NodesWithPodAffinity = nodesWithPodAffinity;
        Generation = generation;
    }

    public IReadOnlyList<NodeInfo> Nodes => NodeArray;

    public IReadOnlyList<NodeInfo> NodesWithPodAffinity { get; }

    /// <summary>Image name → nodes that list it; shared between snapshots until a node's images change.</summary>
    public IReadOnlyDictionary<string, int> ImageNodeCounts { get; }

    /// <summary>The cache generation this snapshot reflects.</summary>
    public long Generation { get; }

    internal NodeInfo[] NodeArray { get; }

    // Shared between snapshots until a node is added or removed.
    internal FrozenDictionary<string, int> Index { get; }

    public NodeInfo? Find(string nodeName) => Index.TryGetValue(nodeName, out int slot) ? NodeArray[slot] : null;
}
