using k8s.Models;

namespace Skiff.ControlPlane.Scheduling.Framework;

/// <summary>The outcome of one plugin on one pod (and node): upstream's framework.Status.</summary>
public sealed record PluginStatus(StatusCode Code, IReadOnlyList<string> Reasons, string? Plugin = null)
{
    public static PluginStatus Success { get; } = new(StatusCode.Success, []);

    public bool IsSuccess => Code == StatusCode.Success;

    /// <summary>The node does not fit now, but preemption or a cluster change may help.</summary>
    public static PluginStatus Unschedulable(string plugin, params string[] reasons) => new(StatusCode.Unschedulable, reasons, plugin);

    /// <summary>The node cannot fit whatever is preempted (node affinity, taints, node name).</summary>
    public static PluginStatus UnschedulableAndUnresolvable(string plugin, params string[] reasons) =>
        new(StatusCode.UnschedulableAndUnresolvable, reasons, plugin);

    public static PluginStatus Error(string plugin, string message) => new(StatusCode.Error, [message], plugin);

    /// <summary>PreFilter only: nothing for this plugin to do for the pod; its Filter is skipped.</summary>
    public static PluginStatus Skip(string plugin) => new(StatusCode.Skip, [], plugin);
}

public enum StatusCode
{
    Success,
    Error,
    Unschedulable,
    UnschedulableAndUnresolvable,
    Skip,
}

/// <summary>Per-pod scratch space shared by the plugins of one scheduling cycle (PreFilter results read by Filter, …).</summary>
public sealed class CycleState
{
    // A handful of keys per cycle, read once per plugin per node: a linear scan that compares the (constant, so usually the
    // same) key string by reference first costs less than hashing the key on every read.
    private readonly List<KeyValuePair<string, object>> _values = new(8);

    public void Write(string key, object value)
    {
        ArgumentNullException.ThrowIfNull(key);
        int index = IndexOf(key);
        if (index >= 0)
        {
            _values[index] = new(key, value);
        }
        else
        {
            _values.Add(new(key, value));
        }
    }

    public T? Read<T>(string key)
        where T : class
    {
        int index = IndexOf(key);
        return index >= 0 ? _values[index].Value as T : null;
    }

    private int IndexOf(string key)
    {
        for (int i = 0; i < _values.Count; i++)
        {
            string existing = _values[i].Key;
            if (ReferenceEquals(existing, key) || string.Equals(existing, key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>The cluster as a cycle sees it: one immutable view of every node and the pods on it.</summary>
public interface IClusterSnapshot
{
    IReadOnlyList<NodeInfo> Nodes { get; }

    NodeInfo? Find(string nodeName);

    /// <summary>Nodes that hold at least one pod with pod affinity or anti-affinity terms.</summary>
    IReadOnlyList<NodeInfo> NodesWithPodAffinity { get; }

    /// <summary>
    /// Image name (as in node.status.images[].names) → how many nodes list it, kept by the cache as nodes change (upstream's
    /// imageStates); null when this snapshot does not keep it, and ImageLocality counts over <see cref="Nodes"/> itself.
    /// </summary>
    IReadOnlyDictionary<string, int>? ImageNodeCounts => null;
}

public interface IPlugin
{
    /// <summary>Upstream's plugin name (NodeResourcesFit, TaintToleration, …), as profiles name it.</summary>
    string Name { get; }
}

/// <summary>Runs once per pod before any Filter; may compute shared state into <see cref="CycleState"/>.</summary>
public interface IPreFilterPlugin : IPlugin
{
    PluginStatus PreFilter(CycleState state, V1Pod pod, IClusterSnapshot snapshot);
}

/// <summary>Whether a node can run the pod; called for many nodes in parallel, so stateless.</summary>
public interface IFilterPlugin : IPlugin
{
    PluginStatus Filter(CycleState state, V1Pod pod, NodeInfo node);
}

/// <summary>Runs once per pod over the feasible nodes before any Score.</summary>
public interface IPreScorePlugin : IPlugin
{
    PluginStatus PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IClusterSnapshot snapshot);
}

/// <summary>
/// Ranks a feasible node from 0 to <see cref="MaxNodeScore"/> (after <see cref="NormalizeScores"/>); the framework multiplies
/// by the plugin's weight and sums over plugins.
/// </summary>
public interface IScorePlugin : IPlugin
{
    const long MaxNodeScore = 100;

    long Score(CycleState state, V1Pod pod, NodeInfo node);

    /// <summary>Rescales raw scores in place (e.g. to 0–100, or reversed); the default leaves them.</summary>
    void NormalizeScores(CycleState state, V1Pod pod, Span<long> scores)
    {
    }
}

/// <summary>
/// What a PostFilter plugin decided (upstream's PostFilterResult with its status). <see cref="NominatedNodeName"/>: null leaves
/// the pod's nomination as it is, empty clears it, a name nominates the pod to that node.
/// </summary>
public sealed record PostFilterResult(PluginStatus Status, string? NominatedNodeName = null);

/// <summary>
/// Runs when the Filter phase left no feasible node (upstream's PostFilter; DefaultPreemption is the one in the default profile).
/// The plugins run in order until one returns success or a code other than Unschedulable.
/// </summary>
public interface IPostFilterPlugin : IPlugin
{
    /// <param name="state">The cycle's state, as PreFilter left it.</param>
    /// <param name="pod">The pod that fits nowhere.</param>
    /// <param name="nodeToStatus">The rejecting status of every node (the PreFilter rejection for each when PreFilter rejected the pod).</param>
    /// <param name="handle">The framework: snapshot, filters, nominated pods, PDBs and the API.</param>
    /// <param name="cancellationToken">Stops API calls.</param>
    Task<PostFilterResult> PostFilterAsync(
        CycleState state, V1Pod pod, IReadOnlyDictionary<string, PluginStatus> nodeToStatus, IFrameworkHandle handle, CancellationToken cancellationToken);
}
