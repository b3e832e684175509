using k8s.Models;

namespace Skiff.ControlPlane.Scheduling.Framework;

/// <summary>
/// The cluster changes that can make an unschedulable pod schedulable, and which plugins each can help (upstream's
/// EventsToRegister and queueing hints, at the granularity of the change). When a pod fails, the queue remembers the plugins
/// that rejected it; an event then moves back only the pods that one of those plugins could now admit, so a node's heartbeat
/// or an unrelated pod's deletion does not send thousands of pending pods through the scheduler again.
/// </summary>
public static partial class ClusterEvents
{
    public const string NodeAdd = "NodeAdd";

    /// <summary>Any node update; specific kinds below ("NodeUpdate:Taint", …) match it.</summary>
    public const string NodeUpdate = "NodeUpdate";
    public const string NodeAllocatableChange = "NodeUpdate:Allocatable";
    public const string NodeLabelChange = "NodeUpdate:Label";
    public const string NodeTaintChange = "NodeUpdate:Taint";
    public const string NodeSpecUnschedulableChange = "NodeUpdate:Unschedulable";
    public const string AssignedPodAdd = "AssignedPodAdd";
    public const string AssignedPodUpdate = "AssignedPodUpdate";
    public const string AssignedPodDelete = "AssignedPodDelete";

    /// <summary>A PersistentVolumeClaim, PersistentVolume or StorageClass was added or changed (a claim bound, a volume appeared).</summary>
    public const string StorageChange = "StorageChange";

    private static readonly HashSet<string> s_known =
    [
        NodeAdd, NodeUpdate, NodeAllocatableChange, NodeLabelChange, NodeTaintChange, NodeSpecUnschedulableChange,
        AssignedPodAdd, AssignedPodUpdate, AssignedPodDelete, StorageChange,
    ];

    /// <summary>Which events can help a pod each built-in plugin rejected (by upstream plugin name).</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> DefaultInterests { get; } =
        new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal)
        {
            ["NodeUnschedulable"] = Set(NodeAdd, NodeSpecUnschedulableChange, NodeTaintChange),
            ["NodeName"] = Set(NodeAdd),
            ["TaintToleration"] = Set(NodeAdd, NodeTaintChange),
            ["NodeAffinity"] = Set(NodeAdd, NodeLabelChange),
            ["NodePorts"] = Set(NodeAdd, AssignedPodDelete),
            ["NodeResourcesFit"] = Set(NodeAdd, NodeAllocatableChange, AssignedPodDelete, AssignedPodUpdate),
            ["PodTopologySpread"] = Set(NodeAdd, NodeLabelChange, NodeTaintChange, AssignedPodAdd, AssignedPodUpdate, AssignedPodDelete),
            ["InterPodAffinity"] = Set(NodeAdd, NodeLabelChange, AssignedPodAdd, AssignedPodUpdate, AssignedPodDelete),
            ["VolumeBinding"] = Set(NodeAdd, NodeLabelChange, StorageChange),
        };

    /// <summary>
    /// Whether <paramref name="clusterEvent"/> may help a pod the <paramref name="rejectors"/> turned down: yes when nothing is
    /// known about the rejection (no plugin named, a plugin without registered interests, an event name not listed here). With
    /// the <paramref name="pending"/> pod and the assigned pod the event is about (<paramref name="changed"/>), InterPodAffinity
    /// and PodTopologySpread also look at the pods themselves (upstream's queueing hints): a new pod only helps a pod whose
    /// required affinity it matches, a deleted one only a pod it blocked by anti-affinity, and either only a pod whose spread
    /// constraints count it.
    /// </summary>
    public static bool MayHelp(
        string clusterEvent, IReadOnlySet<string> rejectors, IReadOnlyDictionary<string, IReadOnlySet<string>> interests, V1Pod? pending = null, V1Pod? changed = null)
    {
        ArgumentNullException.ThrowIfNull(clusterEvent);
        ArgumentNullException.ThrowIfNull(rejectors);
        ArgumentNullException.ThrowIfNull(interests);
        if (rejectors.Count == 0 || !s_known.Contains(clusterEvent))
        {
            return true;
        }

        foreach (string plugin in rejectors)
        {
            if (!interests.TryGetValue(plugin, out IReadOnlySet<string>? wanted))
            {
                return true;
            }

            foreach (string interest in wanted)
            {
                // "NodeUpdate" (unspecified) matches every kind of node update a plugin listens to.
                if ((interest == clusterEvent || (interest.StartsWith(clusterEvent, StringComparison.Ordinal) && interest.Length > clusterEvent.Length && interest[clusterEvent.Length] == ':'))
                    && PodHintAllows(plugin, clusterEvent, pending, changed))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>What changed between two versions of a node, as the events above; empty for heartbeats and status noise.</summary>
    public static IReadOnlyList<string> OfNodeUpdate(V1Node old, V1Node updated)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(updated);
        var events = new List<string>(2);
        if (!SameQuantities(old.Status?.Allocatable, updated.Status?.Allocatable))
        {
            events.Add(NodeAllocatableChange);
        }

        if (!SameMap(old.Metadata?.Labels, updated.Metadata?.Labels))
        {
            events.Add(NodeLabelChange);
        }

        if (!SameTaints(old.Spec?.Taints, updated.Spec?.Taints))
        {
            events.Add(NodeTaintChange);
        }

        if ((old.Spec?.Unschedulable ?? false) != (updated.Spec?.Unschedulable ?? false))
        {
            events.Add(NodeSpecUnschedulableChange);
        }

        return events;
    }

    private static HashSet<string> Set(params string[] events) => new HashSet<string>(events, StringComparer.Ordinal);

    private static bool SameMap(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0))
        {
            return false;
        }

        return a is null || a.All(kv => b!.TryGetValue(kv.Key, out string? value) && value == kv.Value);
    }

    private static bool SameQuantities(IDictionary<string, ResourceQuantity>? a, IDictionary<string, ResourceQuantity>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0))
        {
            return false;
        }

        return a is null || a.All(kv => b!.TryGetValue(kv.Key, out ResourceQuantity? value) && value?.ToDecimal() == kv.Value?.ToDecimal());
    }

    private static bool SameTaints(IList<V1Taint>? a, IList<V1Taint>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0))
        {
            return false;
        }

        for (int i = 0; i < (a?.Count ?? 0); i++)
        {
            V1Taint x = a![i];
            V1Taint y = b![i];
            if (x.Key != y.Key || x.Value != y.Value || x.Effect != y.Effect)
            {
                return false;
            }
        }

        return true;
    }
}
