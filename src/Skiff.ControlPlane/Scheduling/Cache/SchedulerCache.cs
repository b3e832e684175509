using System.Collections.Frozen;
using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Cache;

/// <summary>
/// The scheduler's view of nodes and the pods on them (upstream's cache): bound pods come from informers; a pod the scheduler
/// has chosen a node for is assumed onto it at once, so the next cycle counts it while the bind is still in flight. An assumed
/// pod is confirmed when the informer reports it bound, dropped by <see cref="ForgetPod"/> when the bind fails, and expires
/// <see cref="AssumedPodTtl"/> after <see cref="FinishBinding"/> if no confirmation ever comes. Each change bumps a generation
/// on the node, and <see cref="UpdateSnapshot"/> copies only the nodes changed since the previous snapshot. Thread-safe.
/// </summary>
public sealed partial class SchedulerCache
{
    /// <summary>Upstream's durationToExpireAssumedPod.</summary>
    public static readonly TimeSpan AssumedPodTtl = TimeSpan.FromMinutes(15);

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<string, NodeEntry> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PodEntry> _pods = new(StringComparer.Ordinal);
    private readonly HashSet<string> _assumed = new(StringComparer.Ordinal);

    // Nodes changed since the last snapshot; upstream walks a generation-ordered list for the same purpose.
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private ClusterSnapshot _snapshot = ClusterSnapshot.Empty;
    private bool _nodeSetChanged;
    private long _generation;

    // No assumed pod expires before this, so snapshots skip the expiry scan until then (every cycle takes a snapshot, and a
    // busy scheduler holds thousands of assumed pods whose deadlines are all ~15 minutes away).
    private DateTimeOffset _earliestDeadline = DateTimeOffset.MaxValue;

    public SchedulerCache(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
    }

    /// <summary>How many NodeInfos the last <see cref="UpdateSnapshot"/> rebuilt (for tests and metrics).</summary>
    public int LastSnapshotRebuiltNodes { get; private set; }

    public int NodeCount
    {
        get
        {
            lock (_lock)
            {
                return _nodes.Values.Count(n => n.Node is not null);
            }
        }
    }

    public void AddNode(V1Node node) => UpdateNode(node);

    public void UpdateNode(V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        string name = node.Metadata?.Name ?? throw new ArgumentException("The node has no metadata.name.", nameof(node));
        lock (_lock)
        {
            NodeEntry entry = EntryLocked(name);
            _nodeSetChanged |= entry.Node is null;
            entry.Node = node;
            TouchLocked(name, entry);
        }
    }

    /// <summary>The node leaves the snapshot; pods still bound to it are kept until the informer deletes them, as upstream does.</summary>
    public void RemoveNode(V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        string name = node.Metadata?.Name ?? string.Empty;
        lock (_lock)
        {
            if (!_nodes.TryGetValue(name, out NodeEntry? entry) || entry.Node is null)
            {
                return;
            }

            entry.Node = null;
            _nodeSetChanged = true;
            if (entry.Pods.Count == 0)
            {
                _nodes.Remove(name);
            }

            TouchLocked(name, entry);
        }
    }

    /// <summary>Counts <paramref name="pod"/> on <paramref name="nodeName"/> before the bind is written.</summary>
    public void AssumePod(V1Pod pod, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentException.ThrowIfNullOrEmpty(nodeName);
        string uid = UidOf(pod);
        lock (_lock)
        {
            if (_pods.ContainsKey(uid))
            {
                throw new InvalidOperationException($"Pod {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} is already in the scheduler cache.");
            }

            AddPodLocked(uid, pod, nodeName, assumed: true);
        }
    }

    /// <summary>The bind request finished; the assumed pod expires after <see cref="AssumedPodTtl"/> unless the informer confirms it.</summary>
    public void FinishBinding(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            if (_pods.TryGetValue(UidOf(pod), out PodEntry? entry) && entry.Assumed)
            {
                DateTimeOffset deadline = _time.GetUtcNow() + AssumedPodTtl;
                entry.Deadline = deadline;
                if (deadline < _earliestDeadline)
                {
                    _earliestDeadline = deadline;
                }
            }
        }
    }

    /// <summary>The bind failed: the assumed pod leaves its node.</summary>
    public void ForgetPod(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        string uid = UidOf(pod);
        lock (_lock)
        {
            if (_pods.TryGetValue(uid, out PodEntry? entry) && entry.Assumed)
            {
                RemovePodLocked(uid, entry);
            }
        }
    }

    public bool IsAssumed(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_lock)
        {
            return _pods.TryGetValue(UidOf(pod), out PodEntry? entry) && entry.Assumed;
        }
    }

    /// <summary>A bound pod from the informer; confirms it if it was assumed (moving it if it landed elsewhere).</summary>
    public void AddPod(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        string uid = UidOf(pod);
        string? nodeName = pod.Spec?.NodeName;
        if (string.IsNullOrEmpty(nodeName))
        {
            return;
        }

        lock (_lock)
        {
            if (_pods.TryGetValue(uid, out PodEntry? existing))
            {
                RemovePodLocked(uid, existing);
            }

            AddPodLocked(uid, pod, nodeName, assumed: false);
        }
    }

    public void UpdatePod(V1Pod pod) => AddPod(pod);

    public void RemovePod(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        string uid = UidOf(pod);
        lock (_lock)
        {
            if (_pods.TryGetValue(uid, out PodEntry? entry))
            {
                RemovePodLocked(uid, entry);
            }
        }
    }

    /// <summary>Drops assumed pods whose bind finished more than <see cref="AssumedPodTtl"/> ago without confirmation.</summary>
    public void CleanupExpiredAssumedPods()
    {
        lock (_lock)
        {
            CleanupExpiredLocked();
        }
    }

    /// <summary>
    /// The cluster as of now. Only nodes changed since the previous snapshot are copied; the rest are shared with it, so a
    /// cycle on 5,000 nodes costs an array copy plus the changed nodes.
    /// </summary>
    public ClusterSnapshot UpdateSnapshot()
    {
        lock (_lock)
        {
            CleanupExpiredLocked();
            if (_dirty.Count == 0 && !_nodeSetChanged)
            {
                LastSnapshotRebuiltNodes = 0;
                return _snapshot;
            }

            ClusterSnapshot previous = _snapshot;
            IReadOnlyDictionary<string, int> images = UpdateImageCountsLocked(previous);
            FrozenDictionary<string, int> index = previous.Index;
            NodeInfo[] nodes;
            if (_nodeSetChanged)
            {
                // Keep the surviving nodes in their order and append the new ones, so the rotating start index stays meaningful.
                List<string> names = [.. previous.NodeArray.Select(n => n.Name).Where(n => _nodes.TryGetValue(n, out NodeEntry? e) && e.Node is not null)];
                var seen = new HashSet<string>(names, StringComparer.Ordinal);
                names.AddRange(_nodes.Where(kv => kv.Value.Node is not null && !seen.Contains(kv.Key)).Select(kv => kv.Key).Order(StringComparer.Ordinal));
                index = names.Select((name, slot) => (name, slot)).ToFrozenDictionary(p => p.name, p => p.slot, StringComparer.Ordinal);
                nodes = new NodeInfo[names.Count];
                foreach ((string name, int slot) in index)
                {
                    nodes[slot] = !_dirty.Contains(name) && previous.Find(name) is NodeInfo same ? same : _nodes[name].Build();
                }
            }
            else
            {
                nodes = (NodeInfo[])previous.NodeArray.Clone();
            }

            int rebuilt = 0;
            bool affinityChanged = _nodeSetChanged;
            foreach (string name in _dirty)
            {
                if (!index.TryGetValue(name, out int slot))
                {
                    continue;
                }

                NodeInfo? old = previous.Find(name);
                if (!_nodeSetChanged || ReferenceEquals(nodes[slot], old))
                {
                    nodes[slot] = _nodes[name].Build();
                }

                rebuilt++;
                affinityChanged |= old is null || old.HasPodsWithAffinity != nodes[slot].HasPodsWithAffinity;
            }

            NodeInfo[] withAffinity = affinityChanged
                ? [.. nodes.Where(n => n.HasPodsWithAffinity)]
                : (NodeInfo[])previous.NodesWithPodAffinity;
            _dirty.Clear();
            _nodeSetChanged = false;
            LastSnapshotRebuiltNodes = rebuilt;
            _snapshot = new ClusterSnapshot(nodes, index, withAffinity, _generation, images);
            return _snapshot;
        }
    }

    private void CleanupExpiredLocked()
    {
        if (_assumed.Count == 0)
        {
            _earliestDeadline = DateTimeOffset.MaxValue;
            return;
        }

        DateTimeOffset now = _time.GetUtcNow();
        if (now < _earliestDeadline)
        {
            return;
        }

        DateTimeOffset earliest = DateTimeOffset.MaxValue;
        foreach (string uid in _assumed.ToList())
        {
            PodEntry entry = _pods[uid];
            if (entry.Deadline is DateTimeOffset deadline)
            {
                if (deadline <= now)
                {
                    RemovePodLocked(uid, entry);
                }
                else if (deadline < earliest)
                {
                    earliest = deadline;
                }
            }
        }

        _earliestDeadline = earliest;
    }

    private void AddPodLocked(string uid, V1Pod pod, string nodeName, bool assumed)
    {
        NodeEntry node = EntryLocked(nodeName);
        node.Pods[uid] = pod;
        _pods[uid] = new PodEntry(pod, nodeName) { Assumed = assumed };
        if (assumed)
        {
            _assumed.Add(uid);
        }

        TouchLocked(nodeName, node);
    }

    private void RemovePodLocked(string uid, PodEntry entry)
    {
        _pods.Remove(uid);
        _assumed.Remove(uid);
        if (_nodes.TryGetValue(entry.NodeName, out NodeEntry? node))
        {
            node.Pods.Remove(uid);
            if (node.Node is null && node.Pods.Count == 0)
            {
                _nodes.Remove(entry.NodeName);
            }

            TouchLocked(entry.NodeName, node);
        }
    }

    private NodeEntry EntryLocked(string name)
    {
        if (!_nodes.TryGetValue(name, out NodeEntry? entry))
        {
            entry = new NodeEntry();
            _nodes[name] = entry;
        }

        return entry;
    }

    private void TouchLocked(string name, NodeEntry entry)
    {
        entry.Generation = ++_generation;
        _dirty.Add(name);
    }

    private static string UidOf(V1Pod pod) =>
        pod.Metadata?.Uid is { Length: > 0 } uid ? uid : throw new ArgumentException("The pod has no metadata.uid.", nameof(pod));

    private sealed class NodeEntry
    {
        public V1Node? Node { get; set; }

        public Dictionary<string, V1Pod> Pods { get; } = new(StringComparer.Ordinal);

        public long Generation { get; set; }

        public NodeInfo Build()
        {
            var info = new NodeInfo(Node ?? throw new InvalidOperationException("A node without a Node object is not in snapshots."));
            foreach (V1Pod pod in Pods.Values)
            {
                info.AddPod(pod);
            }

            return info;
        }
    }

    private sealed class PodEntry(V1Pod pod, string nodeName)
    {
        public V1Pod Pod { get; } = pod;

        public string NodeName { get; } = nodeName;

        public bool Assumed { get; set; }

        public DateTimeOffset? Deadline { get; set; }
    }
}
