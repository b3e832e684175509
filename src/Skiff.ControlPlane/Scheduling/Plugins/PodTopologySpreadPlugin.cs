using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// Upstream's PodTopologySpread. Hard constraints (whenUnsatisfiable DoNotSchedule) filter: placing the pod in a domain must
/// keep (matching pods there + 1) − (the fewest in any eligible domain) within maxSkew, where the minimum is taken as 0 while
/// fewer than minDomains domains exist. Soft constraints (ScheduleAnyway) score: fewer matching pods in the node's domains
/// is better. A pod without constraints gets <see cref="PodTopologySpreadArgs"/>' default constraints (upstream's system
/// defaults unless configured), but only when a <see cref="DefaultSpreadSelectorLookup"/> is given and finds a selector for it:
/// upstream takes that selector from the Services and ReplicaSets selecting the pod, which the snapshot does not carry.
/// </summary>
public sealed class PodTopologySpreadPlugin : IPreFilterPlugin, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "PodTopologySpread";
    public const string ReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
    public const string ReasonNodeLabelNotMatch = ReasonConstraintsNotMatch + " (missing required label)";

    private const string PreFilterStateKey = "PreFilter" + PluginName;
    private const string PreScoreStateKey = "PreScore" + PluginName;
    private const string HostnameLabel = "kubernetes.io/hostname";

    private readonly PodTopologySpreadArgs _args;
    private readonly DefaultSpreadSelectorLookup? _defaultSelector;

    public PodTopologySpreadPlugin()
        : this(new PodTopologySpreadArgs())
    {
    }

    /// <param name="args">Default constraints.</param>
    /// <param name="defaultSelector">Selects the pods default constraints count; null applies no default constraints.</param>
    public PodTopologySpreadPlugin(PodTopologySpreadArgs args, DefaultSpreadSelectorLookup? defaultSelector = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        _args = args;
        _defaultSelector = defaultSelector;
    }

    public string Name => PluginName;

    public PluginStatus PreFilter(CycleState state, V1Pod pod, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(snapshot);
        IReadOnlyList<PodTopologySpreadConstraint> constraints = ConstraintsOf(pod, PodTopologySpreadConstraint.DoNotSchedule);
        if (constraints.Count == 0)
        {
            return PluginStatus.Skip(PluginName);
        }

        string ns = InterPodAffinityTerms.NamespaceOf(pod);
        var inclusion = new PodTopologySpreadNodeInclusion(pod);
        var matchNum = new Dictionary<string, int>[constraints.Count];
        for (int i = 0; i < constraints.Count; i++)
        {
            matchNum[i] = new Dictionary<string, int>(StringComparer.Ordinal);
        }

        foreach (NodeInfo node in snapshot.Nodes)
        {
            // A node without every topology key belongs to no domain of this pod.
            if (!PodTopologySpreadNodeInclusion.HasAllTopologyKeys(node.Node, constraints))
            {
                continue;
            }

            for (int i = 0; i < constraints.Count; i++)
            {
                PodTopologySpreadConstraint c = constraints[i];
                if (!inclusion.Includes(c, node.Node))
                {
                    continue;
                }

                // An eligible domain with no matching pod still counts (as 0): it is where the minimum usually comes from.
                string value = node.Node.Metadata.Labels[c.TopologyKey];
                matchNum[i][value] = matchNum[i].GetValueOrDefault(value) + c.CountMatching(node.Pods, ns);
            }
        }

        state.Write(PreFilterStateKey, new PreFilterState(constraints, matchNum));
        return PluginStatus.Success;
    }

    public PluginStatus Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);
        if (state.Read<PreFilterState>(PreFilterStateKey) is not { } prefilter)
        {
            return PluginStatus.Success;
        }

        IDictionary<string, string>? labels = node.Node.Metadata?.Labels;
        for (int i = 0; i < prefilter.Constraints.Count; i++)
        {
            PodTopologySpreadConstraint c = prefilter.Constraints[i];
            if (labels is null || !labels.TryGetValue(c.TopologyKey, out string? value))
            {
                return PluginStatus.UnschedulableAndUnresolvable(PluginName, ReasonNodeLabelNotMatch);
            }

            Dictionary<string, int> domains = prefilter.MatchNum[i];
            int min = domains.Count < c.MinDomains ? 0 : prefilter.MinMatchNum[i];
            int skew = domains.GetValueOrDefault(value) + (c.MatchesSelf(pod) ? 1 : 0) - min;
            if (skew > c.MaxSkew)
            {
                return PluginStatus.Unschedulable(PluginName, ReasonConstraintsNotMatch);
            }
        }

        return PluginStatus.Success;
    }

    public PluginStatus PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(feasible);
        ArgumentNullException.ThrowIfNull(snapshot);
        if (feasible.Count == 0 || snapshot.Nodes.Count == 0)
        {
            return PluginStatus.Skip(PluginName);
        }

        IReadOnlyList<PodTopologySpreadConstraint> constraints = ConstraintsOf(pod, PodTopologySpreadConstraint.ScheduleAnyway);
        if (constraints.Count == 0)
        {
            return PluginStatus.Skip(PluginName);
        }

        // Only domains that hold a feasible node are counted; feasible nodes missing a topology key score 0 and are left
        // out of the normalization.
        var prescore = new PreScoreState(constraints, feasible.Count);
        int ignored = 0;
        for (int n = 0; n < feasible.Count; n++)
        {
            V1Node node = feasible[n].Node;
            if (!PodTopologySpreadNodeInclusion.HasAllTopologyKeys(node, constraints))
            {
                prescore.Ignored[n] = true;
                prescore.IgnoredNames.Add(node.Metadata.Name);
                ignored++;
                continue;
            }

            for (int i = 0; i < constraints.Count; i++)
            {
                // Per-node (hostname) counts are taken in Score from the node itself.
                if (constraints[i].TopologyKey != HostnameLabel)
                {
                    prescore.Counts[i].TryAdd(node.Metadata.Labels[constraints[i].TopologyKey], 0);
                }
            }
        }

        for (int i = 0; i < constraints.Count; i++)
        {
            // More domains make each matching pod weigh more, so spreading over zones is not drowned by maxSkew offsets.
            int size = constraints[i].TopologyKey == HostnameLabel ? feasible.Count - ignored : prescore.Counts[i].Count;
            prescore.Weights[i] = Math.Log(size + 2);
        }

        string ns = InterPodAffinityTerms.NamespaceOf(pod);
        var inclusion = new PodTopologySpreadNodeInclusion(pod);
        foreach (NodeInfo node in snapshot.Nodes)
        {
            if (!PodTopologySpreadNodeInclusion.HasAllTopologyKeys(node.Node, constraints))
            {
                continue;
            }

            for (int i = 0; i < constraints.Count; i++)
            {
                PodTopologySpreadConstraint c = constraints[i];
                if (!inclusion.Includes(c, node.Node))
                {
                    continue;
                }

                string value = node.Node.Metadata.Labels[c.TopologyKey];
                if (prescore.Counts[i].TryGetValue(value, out long count))
                {
                    prescore.Counts[i][value] = count + c.CountMatching(node.Pods, ns);
                }
            }
        }

        state.Write(PreScoreStateKey, prescore);
        return PluginStatus.Success;
    }

    /// <summary>The raw score grows with the matching pods in the node's domains; <see cref="NormalizeScores"/> reverses it.</summary>
    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);
        if (state.Read<PreScoreState>(PreScoreStateKey) is not { } prescore || prescore.IgnoredNames.Contains(node.Name))
        {
            return 0;
        }

        IDictionary<string, string>? labels = node.Node.Metadata?.Labels;
        string ns = InterPodAffinityTerms.NamespaceOf(pod);
        double score = 0;
        for (int i = 0; i < prescore.Constraints.Count; i++)
        {
            PodTopologySpreadConstraint c = prescore.Constraints[i];
            if (labels is null || !labels.TryGetValue(c.TopologyKey, out string? value))
            {
                continue;
            }

            long count = c.TopologyKey == HostnameLabel ? c.CountMatching(node.Pods, ns) : prescore.Counts[i].GetValueOrDefault(value);
            score += (count * prescore.Weights[i]) + (c.MaxSkew - 1);
        }

        return (long)Math.Round(score, MidpointRounding.AwayFromZero);
    }

    /// <summary>
    /// Reverses and scales as upstream: 100 × (max + min − score) / max over the nodes that count, so the emptiest domain
    /// scores highest; ignored nodes get 0. Scores arrive in the order of the feasible list given to PreScore.
    /// </summary>
    public void NormalizeScores(CycleState state, V1Pod pod, Span<long> scores)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Read<PreScoreState>(PreScoreStateKey) is not { } prescore)
        {
            return;
        }

        bool IsIgnored(int i) => i < prescore.Ignored.Length && prescore.Ignored[i];
        long min = long.MaxValue;
        long max = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (!IsIgnored(i))
            {
                min = Math.Min(min, scores[i]);
                max = Math.Max(max, scores[i]);
            }
        }

        for (int i = 0; i < scores.Length; i++)
        {
            if (IsIgnored(i))
            {
                scores[i] = 0;
            }
            else if (max == 0)
            {
                scores[i] = IScorePlugin.MaxNodeScore;
            }
            else
            {
                scores[i] = IScorePlugin.MaxNodeScore * (max + min - scores[i]) / max;
            }
        }
    }

    // The pod's own constraints; for a pod with none, the default constraints over the selector the lookup finds
    // (upstream's getConstraints).
    private IReadOnlyList<PodTopologySpreadConstraint> ConstraintsOf(V1Pod pod, string action)
    {
        if (pod.Spec?.TopologySpreadConstraints is { Count: > 0 })
        {
            return PodTopologySpreadConstraint.Of(pod, action);
        }

        IReadOnlyList<V1TopologySpreadConstraint> defaults = _args.EffectiveDefaultConstraints;
        if (defaults.Count == 0 || _defaultSelector?.Invoke(pod) is not { } selector || LabelSelector.FromModel(selector).IsEmpty)
        {
            return [];
        }

        return PodTopologySpreadConstraint.OfDefaults(pod, defaults, action, selector);
    }

    private sealed class PreFilterState
    {
        public PreFilterState(IReadOnlyList<PodTopologySpreadConstraint> constraints, Dictionary<string, int>[] matchNum)
        {
            Constraints = constraints;
            MatchNum = matchNum;
            MinMatchNum = [.. matchNum.Select(domains => domains.Count == 0 ? int.MaxValue : domains.Values.Min())];
        }

        public IReadOnlyList<PodTopologySpreadConstraint> Constraints { get; }

        /// <summary>Per constraint: topology value → matching pods, over every eligible domain (zeros included).</summary>
        public Dictionary<string, int>[] MatchNum { get; }

        /// <summary>Per constraint: the fewest matching pods in any eligible domain (the "global minimum").</summary>
        public int[] MinMatchNum { get; }
    }

    private sealed class PreScoreState
    {
        public PreScoreState(IReadOnlyList<PodTopologySpreadConstraint> constraints, int feasibleCount)
        {
            Constraints = constraints;
            Counts = [.. constraints.Select(_ => new Dictionary<string, long>(StringComparer.Ordinal))];
            Weights = new double[constraints.Count];
            Ignored = new bool[feasibleCount];
        }

        public IReadOnlyList<PodTopologySpreadConstraint> Constraints { get; }

        /// <summary>Per constraint: topology value of a feasible node → matching pods in that domain.</summary>
        public Dictionary<string, long>[] Counts { get; }

        /// <summary>Per constraint: log(number of domains + 2).</summary>
        public double[] Weights { get; }

        /// <summary>By feasible-list index: nodes missing a topology key.</summary>
        public bool[] Ignored { get; }

        public HashSet<string> IgnoredNames { get; } = new(StringComparer.Ordinal);
    }
}
