using k8s.Models;

namespace Skiff.ControlPlane.Scheduling.Cache;

public sealed partial class SchedulerCache
{
    // Image name → nodes listing it (upstream's imageStates), updated only when a Node object changes, so ImageLocality does
    // not walk every node's images in every cycle.
    private readonly Dictionary<string, int> _imageCounts = new(StringComparer.Ordinal);

    // Counts the images of the dirty nodes whose Node object changed since the previous snapshot; a new dictionary only then.
    private IReadOnlyDictionary<string, int> UpdateImageCountsLocked(ClusterSnapshot previous)
    {
        bool changed = false;
        foreach (string name in _dirty)
        {
            V1Node? before = previous.Find(name)?.Node;
            V1Node? after = _nodes.TryGetValue(name, out NodeEntry? entry) ? entry.Node : null;
            if (!ReferenceEquals(before, after))
            {
                changed |= CountImages(before, -1) | CountImages(after, 1);
            }
        }

        return changed ? new Dictionary<string, int>(_imageCounts, StringComparer.Ordinal) : previous.ImageNodeCounts;
    }

    private bool CountImages(V1Node? node, int delta)
    {
        if (node?.Status?.Images is not { Count: > 0 })
        {
            return false;
        }

        foreach (string name in Plugins.ImageLocality.ImageNames(node))
        {
            int count = _imageCounts.GetValueOrDefault(name) + delta;
            if (count > 0)
            {
                _imageCounts[name] = count;
            }
            else
            {
                _imageCounts.Remove(name);
            }
        }

        return true;
    }
}
