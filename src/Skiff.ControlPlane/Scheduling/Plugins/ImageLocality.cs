using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// Score: prefers nodes that already hold the pod's images (node.status.images). Each image present counts its size times
/// the fraction of nodes that have it (so an image on every node says little); the sum is clamped between 23 MiB and
/// 1000 MiB per container and mapped linearly to 0–100. Image names without a tag are compared as <c>:latest</c>.
/// </summary>
public sealed class ImageLocality : IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "ImageLocality";

    /// <summary>Upstream's default weight in the default profile.</summary>
    public const int DefaultWeight = 1;

    private const long Mb = 1024 * 1024;
    private const long MinThreshold = 23 * Mb;
    private const long MaxContainerThreshold = 1000 * Mb;

    private const string PreScoreKey = "PreScore" + PluginName;

    public string Name => PluginName;

    /// <summary>Counts, over the whole cluster, how many nodes hold each of the pod's images.</summary>
    public PluginStatus PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(snapshot);
        state.Write(PreScoreKey, snapshot.ImageNodeCounts is { } counts ? Spread(pod, snapshot.Nodes.Count, counts) : Spread(pod, snapshot.Nodes));
        return PluginStatus.Success;
    }

    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);
        if (node.Node.Status?.Images is not { Count: > 0 })
        {
            // No image on the node: the sum is 0, which scales to 0 whatever the number of containers.
            return 0;
        }

        ImageSpread spread = state.Read<ImageSpread>(PreScoreKey) ?? Spread(pod, [node]);
        Dictionary<string, long> sizes = ImageSizes(node.Node);
        long sum = 0;
        foreach (V1Container container in Containers(pod))
        {
            string image = NormalizedImageName(container.Image);
            if (sizes.TryGetValue(image, out long size) && spread.TotalNodes > 0)
            {
                double fraction = (double)spread.NodesWith.GetValueOrDefault(image) / spread.TotalNodes;
                sum += (long)(size * fraction);
            }
        }

        return Scale(sum, Containers(pod).Count());
    }

    /// <summary>Adds <c>:latest</c> when the name carries no tag (a colon after the last slash).</summary>
    public static string NormalizedImageName(string? image)
    {
        string name = image ?? string.Empty;
        return name.LastIndexOf(':') <= name.LastIndexOf('/') ? name + ":latest" : name;
    }

    private static long Scale(long sum, int containers)
    {
        long maxThreshold = MaxContainerThreshold * containers;
        if (maxThreshold <= MinThreshold)
        {
            return 0;
        }

        long clamped = Math.Clamp(sum, MinThreshold, maxThreshold);
        return IScorePlugin.MaxNodeScore * (clamped - MinThreshold) / (maxThreshold - MinThreshold);
    }

    // From the cache's per-image node counts: no walk over every node's images.
    private static ImageSpread Spread(V1Pod pod, int totalNodes, IReadOnlyDictionary<string, int> imageNodeCounts)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (V1Container container in Containers(pod))
        {
            string name = NormalizedImageName(container.Image);
            if (imageNodeCounts.TryGetValue(name, out int count))
            {
                counts[name] = count;
            }
        }

        return new ImageSpread(totalNodes, counts);
    }

    private static ImageSpread Spread(V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        var wanted = new HashSet<string>(Containers(pod).Select(c => NormalizedImageName(c.Image)), StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (NodeInfo node in nodes)
        {
            if (node.Node.Status?.Images is not { Count: > 0 } images)
            {
                continue;
            }

            foreach (V1ContainerImage image in images)
            {
                foreach (string name in (image.Names ?? []).Distinct(StringComparer.Ordinal))
                {
                    if (wanted.Contains(name))
                    {
                        counts[name] = counts.GetValueOrDefault(name) + 1;
                    }
                }
            }
        }

        return new ImageSpread(nodes.Count, counts);
    }

    private static Dictionary<string, long> ImageSizes(V1Node node)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (V1ContainerImage image in node.Status?.Images ?? [])
        {
            foreach (string name in image.Names ?? [])
            {
                sizes[name] = image.SizeBytes ?? 0;
            }
        }

        return sizes;
    }

    /// <summary>Each distinct name in the node's status.images, once (what <see cref="IClusterSnapshot.ImageNodeCounts"/> counts).</summary>
    internal static IEnumerable<string> ImageNames(V1Node node) =>
        (node.Status?.Images ?? []).SelectMany(i => i.Names ?? []).Distinct(StringComparer.Ordinal);

    private static IEnumerable<V1Container> Containers(V1Pod pod) => (pod.Spec?.InitContainers ?? []).Concat(pod.Spec?.Containers ?? []);

    private sealed record ImageSpread(int TotalNodes, Dictionary<string, int> NodesWith);
}
