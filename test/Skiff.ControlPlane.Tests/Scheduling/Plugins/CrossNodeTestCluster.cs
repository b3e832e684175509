using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Tests.Scheduling.Plugins;

/// <summary>
/// A small in-memory <see cref="IClusterSnapshot"/> for the cross-node plugins, with a tiny scheduling cycle (PreFilter,
/// Filter, PreScore, Score, NormalizeScores) so tests can place replicas one after another as the scheduler would.
/// </summary>
internal sealed class CrossNodeTestCluster : IClusterSnapshot
{
    private readonly List<NodeInfo> _nodes = [];
    private int _uid;

    public IReadOnlyList<NodeInfo> Nodes => _nodes;

    public IReadOnlyList<NodeInfo> NodesWithPodAffinity => [.. _nodes.Where(n => n.PodsWithAffinity.Any())];

    public NodeInfo? Find(string nodeName) => _nodes.Find(n => n.Name == nodeName);

    /// <summary>Adds a node labelled with kubernetes.io/hostname and the given labels.</summary>
    public NodeInfo AddNode(string name, params (string Key, string Value)[] labels)
    {
        var nodeLabels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name };
        foreach ((string key, string value) in labels)
        {
            nodeLabels[key] = value;
        }

        var info = new NodeInfo(new V1Node { Metadata = new V1ObjectMeta { Name = name, Labels = nodeLabels }, Spec = new V1NodeSpec() });
        _nodes.Add(info);
        return info;
    }

    public V1Pod Place(string nodeName, V1Pod pod)
    {
        pod.Spec.NodeName = nodeName;
        Find(nodeName)!.AddPod(pod);
        return pod;
    }

    public V1Pod Pod(string name, params (string Key, string Value)[] labels) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "default",
            Uid = $"uid-{++_uid}",
            Labels = labels.ToDictionary(l => l.Key, l => l.Value),
        },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app" }] },
    };

    /// <summary>Runs PreFilter and Filter; returns each node's status (Success for feasible nodes), in node order.</summary>
    public Dictionary<string, PluginStatus> Filter(CycleState state, V1Pod pod, params IPlugin[] plugins)
    {
        var skipped = new HashSet<string>();
        foreach (IPreFilterPlugin plugin in plugins.OfType<IPreFilterPlugin>())
        {
            PluginStatus status = plugin.PreFilter(state, pod, this);
            if (status.Code == StatusCode.Skip)
            {
                skipped.Add(plugin.Name);
            }
        }

        var result = new Dictionary<string, PluginStatus>();
        foreach (NodeInfo node in _nodes)
        {
            PluginStatus status = PluginStatus.Success;
            foreach (IFilterPlugin plugin in plugins.OfType<IFilterPlugin>().Where(p => !skipped.Contains(p.Name)))
            {
                status = plugin.Filter(state, pod, node);
                if (!status.IsSuccess)
                {
                    break;
                }
            }

            result[node.Name] = status;
        }

        return result;
    }

    public IReadOnlyList<string> Feasible(V1Pod pod, params IPlugin[] plugins) =>
        [.. Filter(new CycleState(), pod, plugins).Where(r => r.Value.IsSuccess).Select(r => r.Key)];

    /// <summary>PreScore, Score and NormalizeScores of one plugin over <paramref name="feasible"/> (all nodes by default).</summary>
    public Dictionary<string, long> Scores<TPlugin>(TPlugin plugin, V1Pod pod, IReadOnlyList<string>? feasible = null)
        where TPlugin : IPreScorePlugin, IScorePlugin
    {
        var state = new CycleState();
        List<NodeInfo> nodes = feasible is null ? _nodes : [.. feasible.Select(n => Find(n)!)];
        if (plugin.PreScore(state, pod, nodes, this).Code == StatusCode.Skip)
        {
            return nodes.ToDictionary(n => n.Name, _ => 0L);
        }

        long[] scores = [.. nodes.Select(n => plugin.Score(state, pod, n))];
        plugin.NormalizeScores(state, pod, scores);
        return nodes.Select((n, i) => (n.Name, scores[i])).ToDictionary(s => s.Name, s => s.Item2);
    }

    /// <summary>Filters, scores with every score plugin, places the pod on the best node (the first on a tie) and names it.</summary>
    public string? Schedule<TPlugin>(V1Pod pod, TPlugin plugin)
        where TPlugin : IPreFilterPlugin, IFilterPlugin, IPreScorePlugin, IScorePlugin
    {
        IReadOnlyList<string> feasible = Feasible(pod, plugin);
        if (feasible.Count == 0)
        {
            return null;
        }

        Dictionary<string, long> scores = Scores(plugin, pod, feasible);
        string best = feasible.OrderByDescending(n => scores[n]).First();
        Place(best, pod);
        return best;
    }
}
