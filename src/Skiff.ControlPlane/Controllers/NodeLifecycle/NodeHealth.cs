using k8s.Models;

namespace Skiff.ControlPlane.Controllers.NodeLifecycle;

/// <summary>What NoExecute tainting may do for one node, given how many nodes of its zone (and of the cluster) are down.</summary>
public enum NoExecuteTainting
{
    /// <summary>Add, swap and remove the not-ready/unreachable NoExecute taints as the Ready condition says.</summary>
    Normal,

    /// <summary>A partially disrupted zone of a small cluster: keep (and swap) taints already there, add none (upstream's 0 qps).</summary>
    KeepExisting,

    /// <summary>Every zone is fully disrupted, which looks like the control plane's own network failing: no NoExecute taints.</summary>
    None,
}

/// <summary>
/// The pure half of the node lifecycle controller: which conditions go Unknown when a node stops heartbeating, which taints
/// its conditions call for (TaintNodesByCondition and taint-based eviction), and upstream's zone disruption states.
/// </summary>
public static class NodeHealth
{
    public const string Ready = "Ready";
    public const string MemoryPressure = "MemoryPressure";
    public const string DiskPressure = "DiskPressure";
    public const string PidPressure = "PIDPressure";
    public const string NetworkUnavailable = "NetworkUnavailable";

    public const string ZoneLabel = "topology.kubernetes.io/zone";
    public const string RegionLabel = "topology.kubernetes.io/region";

    /// <summary>Upstream's --unhealthy-zone-threshold: at least this share of a zone's nodes down (and more than 2) is a partial disruption.</summary>
    public const double UnhealthyZoneThreshold = 0.55;

    /// <summary>Upstream's --large-cluster-size-threshold: smaller zones stop NoExecute tainting entirely in a partial disruption.</summary>
    public const int LargeClusterThreshold = 50;

    // The kubelet's conditions that go Unknown with Ready; NetworkUnavailable belongs to the network plugin and stays.
    private static readonly string[] s_kubeletConditions = [Ready, MemoryPressure, DiskPressure, PidPressure];

    public static V1NodeCondition? Condition(V1Node node, string type)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Status?.Conditions?.FirstOrDefault(c => c.Type == type);
    }

    /// <summary>"True", "False", "Unknown", or null when the kubelet never posted a Ready condition.</summary>
    public static string? ReadyStatus(V1Node node) => Condition(node, Ready)?.Status;

    /// <summary>
    /// Sets the kubelet's conditions of <paramref name="node"/> (a clone) to Unknown: NodeStatusUnknown for those it posted,
    /// NodeStatusNeverUpdated (heartbeat = creation) for those it never did. False when all were Unknown already.
    /// </summary>
    public static bool MarkUnknown(V1Node node, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(node);
        node.Status ??= new V1NodeStatus();
        node.Status.Conditions ??= [];
        bool changed = false;
        foreach (string type in s_kubeletConditions)
        {
            V1NodeCondition? condition = node.Status.Conditions.FirstOrDefault(c => c.Type == type);
            if (condition is null)
            {
                node.Status.Conditions.Add(new V1NodeCondition
                {
                    Type = type,
                    Status = "Unknown",
                    Reason = "NodeStatusNeverUpdated",
                    Message = "Kubelet never posted node status.",
                    LastHeartbeatTime = node.Metadata?.CreationTimestamp,
                    LastTransitionTime = now,
                });
                changed = true;
            }
            else if (condition.Status != "Unknown")
            {
                condition.Status = "Unknown";
                condition.Reason = "NodeStatusUnknown";
                condition.Message = "Kubelet stopped posting node status.";
                condition.LastTransitionTime = now;
                changed = true;
            }
        }

        return changed;
    }

    /// <summary>
    /// The node's taints as they should be: every taint the controller does not own kept as is; the NoSchedule taints its
    /// conditions and spec.unschedulable call for; the not-ready/unreachable NoExecute taint as <paramref name="noExecute"/>
    /// allows. A taint that stays keeps its timeAdded (tolerationSeconds count from it); a new NoExecute taint gets now.
    /// </summary>
    public static List<V1Taint> DesiredTaints(V1Node node, NoExecuteTainting noExecute, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(node);
        IList<V1Taint> current = node.Spec?.Taints ?? [];
        var desired = current.Where(t => !Taints.IsManaged(t)).ToList();
        var wanted = new List<V1Taint>();
        string? ready = ReadyStatus(node);
        if (ready == "False")
        {
            wanted.Add(new V1Taint { Key = Taints.NotReady, Effect = Taints.NoSchedule });
        }
        else if (ready == "Unknown")
        {
            wanted.Add(new V1Taint { Key = Taints.Unreachable, Effect = Taints.NoSchedule });
        }

        AddIfTrue(node, MemoryPressure, Taints.MemoryPressure, wanted);
        AddIfTrue(node, DiskPressure, Taints.DiskPressure, wanted);
        AddIfTrue(node, NetworkUnavailable, Taints.NetworkUnavailable, wanted);
        AddIfTrue(node, PidPressure, Taints.PidPressure, wanted);
        if (node.Spec?.Unschedulable == true)
        {
            wanted.Add(new V1Taint { Key = Taints.Unschedulable, Effect = Taints.NoSchedule });
        }

        string? noExecuteKey = ready switch
        {
            "False" => Taints.NotReady,
            "Unknown" => Taints.Unreachable,
            _ => null,
        };
        bool hadNoExecute = current.Any(t => t.Effect == Taints.NoExecute && Taints.ManagedNoExecuteKeys.Contains(t.Key ?? ""));
        if (noExecuteKey is not null
            && (noExecute == NoExecuteTainting.Normal || (noExecute == NoExecuteTainting.KeepExisting && hadNoExecute)))
        {
            wanted.Add(new V1Taint { Key = noExecuteKey, Effect = Taints.NoExecute, TimeAdded = now });
        }

        foreach (V1Taint taint in wanted)
        {
            V1Taint? kept = current.FirstOrDefault(t => Taints.SameTaint(t, taint));
            desired.Add(kept ?? taint);
        }

        return desired;
    }

    /// <summary>Whether two taint lists hold the same taints, order aside.</summary>
    public static bool SameTaints(IList<V1Taint>? a, IList<V1Taint>? b)
    {
        a ??= [];
        b ??= [];
        return a.Count == b.Count && a.All(x => b.Any(y => Taints.SameTaint(x, y)));
    }

    /// <summary>The zone a node counts in: region and zone labels, empty for unlabelled nodes (upstream's GetZoneKey).</summary>
    public static string Zone(V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        IDictionary<string, string>? labels = node.Metadata?.Labels;
        string region = labels is not null && labels.TryGetValue(RegionLabel, out string? r) ? r : "";
        string zone = labels is not null && labels.TryGetValue(ZoneLabel, out string? z) ? z : "";
        return region + ":\0:" + zone;
    }

    /// <summary>
    /// What NoExecute tainting may do for <paramref name="node"/> given every node of the cluster (upstream's zone states):
    /// nothing when every zone has no Ready node; only keep existing taints when the node's zone is partially disrupted
    /// (more than 2 and at least 55% of its nodes down) and small; otherwise everything.
    /// </summary>
    public static NoExecuteTainting NoExecuteMode(V1Node node, IEnumerable<V1Node> allNodes)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(allNodes);
        var zones = new Dictionary<string, (int Ready, int NotReady)>(StringComparer.Ordinal);
        foreach (V1Node n in allNodes)
        {
            string zone = Zone(n);
            (int ready, int notReady) = zones.GetValueOrDefault(zone);
            zones[zone] = ReadyStatus(n) == "True" ? (ready + 1, notReady) : (ready, notReady + 1);
        }

        if (zones.Count > 0 && zones.Values.All(z => z.Ready == 0 && z.NotReady > 0))
        {
            return NoExecuteTainting.None;
        }

        if (zones.TryGetValue(Zone(node), out (int Ready, int NotReady) own))
        {
            int size = own.Ready + own.NotReady;
            bool partial = own.NotReady > 2 && own.NotReady >= UnhealthyZoneThreshold * size;
            if (partial && own.Ready > 0 && size <= LargeClusterThreshold)
            {
                return NoExecuteTainting.KeepExisting;
            }
        }

        return NoExecuteTainting.Normal;
    }

    private static void AddIfTrue(V1Node node, string condition, string taintKey, List<V1Taint> wanted)
    {
        if (Condition(node, condition)?.Status == "True")
        {
            wanted.Add(new V1Taint { Key = taintKey, Effect = Taints.NoSchedule });
        }
    }
}
