using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// Upstream's InterPodAffinity: required pod affinity and anti-affinity (the incoming pod's and the existing pods'
/// anti-affinity) as a Filter, preferred terms (and existing pods' required affinity, at hardPodAffinityWeight) as a Score.
/// Counting is done once per pod in PreFilter/PreScore per (topologyKey, value), so Filter and Score are lookups.
/// </summary>
public sealed class InterPodAffinityPlugin : IPreFilterPlugin, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "InterPodAffinity";
    public const string ReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
    public const string ReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
    public const string ReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";

    private const string PreFilterStateKey = "PreFilter" + PluginName;
    private const string PreScoreStateKey = "PreScore" + PluginName;

    private readonly NamespaceLabelsLookup? _namespaceLabels;
    private readonly int _hardPodAffinityWeight;

    /// <param name="namespaceLabels">Namespace labels for namespaceSelector; see <see cref="NamespaceLabelsLookup"/> for null.</param>
    /// <param name="hardPodAffinityWeight">Upstream's InterPodAffinityArgs.hardPodAffinityWeight (default 1, 0 turns it off).</param>
    public InterPodAffinityPlugin(NamespaceLabelsLookup? namespaceLabels = null, int hardPodAffinityWeight = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(hardPodAffinityWeight);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hardPodAffinityWeight, 100);
        _namespaceLabels = namespaceLabels;
        _hardPodAffinityWeight = hardPodAffinityWeight;
    }

    public string Name => PluginName;

    public PluginStatus PreFilter(CycleState state, V1Pod pod, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(snapshot);
        InterPodAffinityTerms terms = InterPodAffinityTerms.OfIncoming(pod);
        var prefilter = new PreFilterState(terms);

        // Existing pods' required anti-affinity can reject the incoming pod even if it declares nothing itself.
        // Indexed loops: these walk every pod of the cluster in every cycle, and foreach over the list interfaces would allocate
        // an enumerator per node.
        IReadOnlyList<NodeInfo> withAffinity = snapshot.NodesWithPodAffinity;
        for (int n = 0; n < withAffinity.Count; n++)
        {
            NodeInfo node = withAffinity[n];
            IReadOnlyList<V1Pod> affinityPods = node.PodsWithAffinity;
            for (int p = 0; p < affinityPods.Count; p++)
            {
                V1Pod existing = affinityPods[p];
                foreach (InterPodAffinityTerm term in InterPodAffinityTerms.OfExisting(existing).RequiredAntiAffinity)
                {
                    if (term.Matches(pod, _namespaceLabels))
                    {
                        Add(prefilter.ExistingAntiAffinityCounts, node, term.TopologyKey, 1);
                    }
                }
            }
        }

        if (terms.RequiredAffinity.Count > 0 || terms.RequiredAntiAffinity.Count > 0)
        {
            IReadOnlyList<NodeInfo> nodes = snapshot.Nodes;
            for (int n = 0; n < nodes.Count; n++)
            {
                NodeInfo node = nodes[n];
                IReadOnlyList<V1Pod> pods = node.Pods;
                for (int p = 0; p < pods.Count; p++)
                {
                    V1Pod existing = pods[p];

                    // An existing pod counts toward affinity only when it satisfies every required term at once.
                    if (InterPodAffinityTerms.MatchesAll(terms.RequiredAffinity, existing, _namespaceLabels))
                    {
                        foreach (InterPodAffinityTerm term in terms.RequiredAffinity)
                        {
                            Add(prefilter.AffinityCounts, node, term.TopologyKey, 1);
                        }
                    }

                    foreach (InterPodAffinityTerm term in terms.RequiredAntiAffinity)
                    {
                        if (term.Matches(existing, _namespaceLabels))
                        {
                            Add(prefilter.AntiAffinityCounts, node, term.TopologyKey, 1);
                        }
                    }
                }
            }
        }

        if (prefilter.ExistingAntiAffinityCounts.Count == 0 && terms.RequiredAffinity.Count == 0 && terms.RequiredAntiAffinity.Count == 0)
        {
            return PluginStatus.Skip(PluginName);
        }

        state.Write(PreFilterStateKey, prefilter);
        return PluginStatus.Success;
    }

    public PluginStatus Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);

        // No state means PreFilter skipped: nothing here can reject the pod.
        if (state.Read<PreFilterState>(PreFilterStateKey) is not { } prefilter)
        {
            return PluginStatus.Success;
        }

        IDictionary<string, string> labels = node.Node.Metadata?.Labels ?? new Dictionary<string, string>();

        // A node that lacks a required topology label can never satisfy the term, whatever is preempted.
        if (!SatisfiesPodAffinity(prefilter, pod, labels))
        {
            return PluginStatus.UnschedulableAndUnresolvable(PluginName, ReasonAffinityRulesNotMatch);
        }

        if (!SatisfiesPodAntiAffinity(prefilter, labels))
        {
            return PluginStatus.Unschedulable(PluginName, ReasonAntiAffinityRulesNotMatch);
        }

        if (!SatisfiesExistingPodsAntiAffinity(prefilter, labels))
        {
            return PluginStatus.Unschedulable(PluginName, ReasonExistingAntiAffinityRulesNotMatch);
        }

        return PluginStatus.Success;
    }

    public PluginStatus PreScore(CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> feasible, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(feasible);
        ArgumentNullException.ThrowIfNull(snapshot);
        if (feasible.Count == 0)
        {
            return PluginStatus.Skip(PluginName);
        }

        InterPodAffinityTerms terms = InterPodAffinityTerms.OfIncoming(pod);
        bool hasPreferred = terms.PreferredAffinity.Count > 0 || terms.PreferredAntiAffinity.Count > 0;

        // Without preferred terms of its own, only existing pods with terms can move the incoming pod's score.
        IReadOnlyList<NodeInfo> nodes = hasPreferred ? snapshot.Nodes : snapshot.NodesWithPodAffinity;
        var prescore = new PreScoreState();
        for (int n = 0; n < nodes.Count; n++)
        {
            NodeInfo node = nodes[n];
            IDictionary<string, string>? labels = node.Node.Metadata?.Labels;
            if (labels is null || labels.Count == 0)
            {
                continue;
            }

            IReadOnlyList<V1Pod> pods = hasPreferred ? node.Pods : node.PodsWithAffinity;
            for (int p = 0; p < pods.Count; p++)
            {
                V1Pod existing = pods[p];
                // The incoming pod's preferences, matched against the existing pod.
                AddTerms(prescore, terms.PreferredAffinity, existing, labels, 1);
                AddTerms(prescore, terms.PreferredAntiAffinity, existing, labels, -1);

                // The existing pod's rules, matched against the incoming pod: symmetry, as upstream.
                InterPodAffinityTerms existingTerms = InterPodAffinityTerms.OfExisting(existing);
                if (_hardPodAffinityWeight > 0)
                {
                    foreach (InterPodAffinityTerm term in existingTerms.RequiredAffinity)
                    {
                        AddTerm(prescore, term, _hardPodAffinityWeight, pod, labels, 1);
                    }
                }

                AddTerms(prescore, existingTerms.PreferredAffinity, pod, labels, 1);
                AddTerms(prescore, existingTerms.PreferredAntiAffinity, pod, labels, -1);
            }
        }

        if (prescore.TopologyScore.Count == 0)
        {
            return PluginStatus.Skip(PluginName);
        }

        state.Write(PreScoreStateKey, prescore);
        return PluginStatus.Success;
    }

    public long Score(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(node);
        IDictionary<string, string>? labels = node.Node.Metadata?.Labels;
        if (state.Read<PreScoreState>(PreScoreStateKey) is not { } prescore || labels is null)
        {
            return 0;
        }

        long score = 0;
        foreach ((string key, Dictionary<string, long> values) in prescore.TopologyScore)
        {
            if (labels.TryGetValue(key, out string? value) && values.TryGetValue(value, out long valueScore))
            {
                score += valueScore;
            }
        }

        return score;
    }

    /// <summary>Min-max scaling to 0–100: the most preferred node gets 100, the least 0, all equal gives all 0.</summary>
    public void NormalizeScores(CycleState state, V1Pod pod, Span<long> scores)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Read<PreScoreState>(PreScoreStateKey) is null || scores.IsEmpty)
        {
            return;
        }

        long min = long.MaxValue;
        long max = long.MinValue;
        foreach (long score in scores)
        {
            min = Math.Min(min, score);
            max = Math.Max(max, score);
        }

        long spread = max - min;
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = spread > 0 ? (long)(IScorePlugin.MaxNodeScore * ((double)(scores[i] - min) / spread)) : 0;
        }
    }

    private bool SatisfiesPodAffinity(PreFilterState prefilter, V1Pod pod, IDictionary<string, string> labels)
    {
        bool podsExist = true;
        foreach (InterPodAffinityTerm term in prefilter.Terms.RequiredAffinity)
        {
            if (!labels.TryGetValue(term.TopologyKey, out string? value))
            {
                return false;
            }

            if (prefilter.AffinityCounts.GetValueOrDefault((term.TopologyKey, value)) <= 0)
            {
                podsExist = false;
            }
        }

        // The first pod of a group with affinity to itself: nothing in the cluster matches yet, so it may go to any node
        // that has the topology labels, or the group could never start.
        return podsExist
            || (prefilter.AffinityCounts.Count == 0 && InterPodAffinityTerms.MatchesAll(prefilter.Terms.RequiredAffinity, pod, _namespaceLabels));
    }

    private static bool SatisfiesPodAntiAffinity(PreFilterState prefilter, IDictionary<string, string> labels)
    {
        if (prefilter.AntiAffinityCounts.Count == 0)
        {
            return true;
        }

        foreach (InterPodAffinityTerm term in prefilter.Terms.RequiredAntiAffinity)
        {
            if (labels.TryGetValue(term.TopologyKey, out string? value) && prefilter.AntiAffinityCounts.GetValueOrDefault((term.TopologyKey, value)) > 0)
            {
                return false;
            }
        }

        return true;
    }

    private static bool SatisfiesExistingPodsAntiAffinity(PreFilterState prefilter, IDictionary<string, string> labels)
    {
        if (prefilter.ExistingAntiAffinityCounts.Count == 0)
        {
            return true;
        }

        foreach ((string key, string value) in labels)
        {
            if (prefilter.ExistingAntiAffinityCounts.GetValueOrDefault((key, value)) > 0)
            {
                return false;
            }
        }

        return true;
    }

    private static void Add(Dictionary<(string Key, string Value), long> counts, NodeInfo node, string topologyKey, long delta)
    {
        if (node.Node.Metadata?.Labels is { } labels && labels.TryGetValue(topologyKey, out string? value))
        {
            (string, string) pair = (topologyKey, value);
            counts[pair] = counts.GetValueOrDefault(pair) + delta;
        }
    }

    private void AddTerms(PreScoreState prescore, IReadOnlyList<InterPodAffinityTerm> terms, V1Pod pod, IDictionary<string, string> labels, int sign)
    {
        foreach (InterPodAffinityTerm term in terms)
        {
            AddTerm(prescore, term, term.Weight, pod, labels, sign);
        }
    }

    private void AddTerm(PreScoreState prescore, InterPodAffinityTerm term, int weight, V1Pod pod, IDictionary<string, string> labels, int sign)
    {
        if (term.Matches(pod, _namespaceLabels) && labels.TryGetValue(term.TopologyKey, out string? value))
        {
            if (!prescore.TopologyScore.TryGetValue(term.TopologyKey, out Dictionary<string, long>? values))
            {
                values = new Dictionary<string, long>(StringComparer.Ordinal);
                prescore.TopologyScore[term.TopologyKey] = values;
            }

            values[value] = values.GetValueOrDefault(value) + ((long)weight * sign);
        }
    }

    private sealed class PreFilterState(InterPodAffinityTerms terms)
    {
        public InterPodAffinityTerms Terms { get; } = terms;

        /// <summary>(topologyKey, value) → existing pods whose required affinity terms all match the incoming pod.</summary>
        public Dictionary<(string Key, string Value), long> AffinityCounts { get; } = [];

        /// <summary>(topologyKey, value) → existing pods matching one of the incoming pod's required anti-affinity terms.</summary>
        public Dictionary<(string Key, string Value), long> AntiAffinityCounts { get; } = [];

        /// <summary>(topologyKey, value) → existing pods' required anti-affinity terms that match the incoming pod.</summary>
        public Dictionary<(string Key, string Value), long> ExistingAntiAffinityCounts { get; } = [];
    }

    private sealed class PreScoreState
    {
        /// <summary>topologyKey → value → summed weight; a node scores the sum over its labels.</summary>
        public Dictionary<string, Dictionary<string, long>> TopologyScore { get; } = new(StringComparer.Ordinal);
    }
}
