using System.Runtime.CompilerServices;
using k8s.Models;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// Looks up a namespace's labels for namespaceSelector; null when the namespace is unknown. Without one, a namespaceSelector
/// matches every namespace when it is empty (<c>{}</c>) and none otherwise, so only the listed namespaces count.
/// </summary>
public delegate IReadOnlyDictionary<string, string>? NamespaceLabelsLookup(string namespaceName);

/// <summary>
/// One pod (anti-)affinity term parsed once: upstream's framework.AffinityTerm. A term with neither namespaces nor a
/// namespaceSelector applies to its owner's namespace; otherwise the listed namespaces and those the selector picks.
/// </summary>
internal sealed class InterPodAffinityTerm
{
    private readonly HashSet<string> _namespaces;
    private readonly LabelSelector? _namespaceSelector;
    private readonly LabelSelector _selector;

    public InterPodAffinityTerm(string ownerNamespace, V1PodAffinityTerm term, int weight)
    {
        _namespaces = new HashSet<string>(term.Namespaces ?? [], StringComparer.Ordinal);
        if (term.NamespaceSelector is not null)
        {
            _namespaceSelector = LabelSelector.FromModel(term.NamespaceSelector);
        }
        else if (_namespaces.Count == 0)
        {
            _namespaces.Add(ownerNamespace);
        }

        // A null labelSelector selects no pod, as upstream's LabelSelectorAsSelector(nil).
        _selector = LabelSelector.FromModel(term.LabelSelector);
        TopologyKey = term.TopologyKey ?? string.Empty;
        Weight = weight;
    }

    public string TopologyKey { get; }

    /// <summary>The preferred term's weight; 0 for required terms.</summary>
    public int Weight { get; }

    /// <summary>Whether <paramref name="pod"/> is in one of the term's namespaces and has matching labels.</summary>
    public bool Matches(V1Pod pod, NamespaceLabelsLookup? namespaceLabels)
    {
        string ns = InterPodAffinityTerms.NamespaceOf(pod);
        bool inNamespace = _namespaces.Contains(ns)
            || (_namespaceSelector is not null && (_namespaceSelector.IsEmpty || (namespaceLabels is not null && _namespaceSelector.Matches(namespaceLabels(ns)))));
        return inNamespace && _selector.Matches(InterPodAffinityTerms.LabelsOf(pod));
    }
}

/// <summary>A pod's four kinds of inter-pod terms, parsed once per pod object and cached beside it.</summary>
internal sealed class InterPodAffinityTerms
{
    private static readonly ConditionalWeakTable<V1Pod, InterPodAffinityTerms> s_cache = [];

    private InterPodAffinityTerms(V1Pod pod)
    {
        string ns = NamespaceOf(pod);
        V1PodAffinity? affinity = pod.Spec?.Affinity?.PodAffinity;
        V1PodAntiAffinity? antiAffinity = pod.Spec?.Affinity?.PodAntiAffinity;
        RequiredAffinity = [.. (affinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? []).Select(t => new InterPodAffinityTerm(ns, t, 0))];
        RequiredAntiAffinity = [.. (antiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution ?? []).Select(t => new InterPodAffinityTerm(ns, t, 0))];
        PreferredAffinity = [.. (affinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [])
            .Where(w => w.PodAffinityTerm is not null)
            .Select(w => new InterPodAffinityTerm(ns, w.PodAffinityTerm, w.Weight))];
        PreferredAntiAffinity = [.. (antiAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [])
            .Where(w => w.PodAffinityTerm is not null)
            .Select(w => new InterPodAffinityTerm(ns, w.PodAffinityTerm, w.Weight))];
    }

    public IReadOnlyList<InterPodAffinityTerm> RequiredAffinity { get; }

    public IReadOnlyList<InterPodAffinityTerm> RequiredAntiAffinity { get; }

    public IReadOnlyList<InterPodAffinityTerm> PreferredAffinity { get; }

    public IReadOnlyList<InterPodAffinityTerm> PreferredAntiAffinity { get; }

    /// <summary>
    /// The terms of a pod already on a node, cached by object identity: the snapshot hands out the same pod objects cycle
    /// after cycle, and the API forbids changing a bound pod's affinity (an update arrives as a new object anyway).
    /// </summary>
    public static InterPodAffinityTerms OfExisting(V1Pod pod) => s_cache.GetValue(pod, p => new InterPodAffinityTerms(p));

    /// <summary>The terms of the pod being scheduled, parsed afresh: a pending pod may still be edited in place by a caller.</summary>
    public static InterPodAffinityTerms OfIncoming(V1Pod pod) => new(pod);

    public static string NamespaceOf(V1Pod pod) => pod.Metadata?.NamespaceProperty ?? "default";

    public static IReadOnlyDictionary<string, string>? LabelsOf(V1Pod pod) => AsReadOnly(pod.Metadata?.Labels);

    public static IReadOnlyDictionary<string, string>? AsReadOnly(IDictionary<string, string>? labels) =>
        labels as IReadOnlyDictionary<string, string> ?? (labels is null ? null : new Dictionary<string, string>(labels, StringComparer.Ordinal));

    /// <summary>True when every term matches the pod (false for no terms), as upstream's podMatchesAllAffinityTerms.</summary>
    public static bool MatchesAll(IReadOnlyList<InterPodAffinityTerm> terms, V1Pod pod, NamespaceLabelsLookup? namespaceLabels)
    {
        if (terms.Count == 0)
        {
            return false;
        }

        foreach (InterPodAffinityTerm term in terms)
        {
            if (!term.Matches(pod, namespaceLabels))
            {
                return false;
            }
        }

        return true;
    }
}
