using System.Runtime.CompilerServices;
using k8s.Models;
using Skiff.ControlPlane.Scheduling.Plugins;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Scheduling.Framework;

public static partial class ClusterEvents
{
    // A pending pod's spread-constraint selectors, parsed once per pod object.
    private static readonly ConditionalWeakTable<V1Pod, LabelSelector[]> s_spreadSelectors = [];

    /// <summary>
    /// The object-level part of <see cref="MayHelp"/> for assigned-pod events; true (no opinion) for other plugins and events,
    /// and whenever either pod is unknown.
    /// </summary>
    private static bool PodHintAllows(string plugin, string clusterEvent, V1Pod? pending, V1Pod? changed)
    {
        if (pending is null || changed is null)
        {
            return true;
        }

        return plugin switch
        {
            "InterPodAffinity" => InterPodAffinityHint(clusterEvent, pending, changed),
            "PodTopologySpread" => SpreadHint(pending, changed),
            _ => true,
        };
    }

    private static bool InterPodAffinityHint(string clusterEvent, V1Pod pending, V1Pod changed)
    {
        // Namespace selectors are judged without namespace labels here: an empty one matches everything, others nothing, so a
        // term that lists no namespace counts as matching (a spurious retry is cheap; a missed one is not).
        InterPodAffinityTerms terms = InterPodAffinityTerms.OfExisting(pending);
        return clusterEvent switch
        {
            // A pod arriving can satisfy required affinity; it can only add to anti-affinity conflicts.
            AssignedPodAdd => terms.RequiredAffinity.Any(t => t.Matches(changed, AnyNamespace)),

            // A pod leaving can lift an anti-affinity conflict, the pending pod's or its own; it cannot satisfy affinity.
            AssignedPodDelete => terms.RequiredAntiAffinity.Any(t => t.Matches(changed, AnyNamespace))
                || InterPodAffinityTerms.OfExisting(changed).RequiredAntiAffinity.Any(t => t.Matches(pending, AnyNamespace)),

            // Relabelling can do either.
            _ => true,
        };
    }

    private static bool SpreadHint(V1Pod pending, V1Pod changed)
    {
        if (pending.Spec?.TopologySpreadConstraints is not { Count: > 0 })
        {
            // Default constraints count by the selectors of the pod's Services and workloads: not known here.
            return true;
        }

        if ((pending.Metadata?.NamespaceProperty ?? "default") != (changed.Metadata?.NamespaceProperty ?? "default"))
        {
            return false;
        }

        LabelSelector[] selectors = s_spreadSelectors.GetValue(pending, p => [.. p.Spec.TopologySpreadConstraints.Select(c => LabelSelector.FromModel(c.LabelSelector))]);
        var labels = changed.Metadata?.Labels as IReadOnlyDictionary<string, string> ?? new Dictionary<string, string>(changed.Metadata?.Labels ?? new Dictionary<string, string>());
        return selectors.Any(s => s.Matches(labels));
    }

    // Every namespace's labels are unknown here; see InterPodAffinityHint.
    private static IReadOnlyDictionary<string, string>? AnyNamespace(string namespaceName) => null;
}
