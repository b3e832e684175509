using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>Victim selection on one node, and the choice among candidate nodes.</summary>
public sealed partial class DefaultPreemption
{
    /// <summary>
    /// The fewest pods to remove from <paramref name="node"/> (a copy this method changes) for the pod to fit (upstream's
    /// SelectVictimsOnNode): take every lower-priority pod off; if the pod still does not fit, that rejection is the answer.
    /// Otherwise put them back one by one, most important first, keeping each that leaves the pod fitting; the pods whose
    /// eviction would violate a PodDisruptionBudget are tried first, so they are the likeliest to be spared. Returns the victims
    /// (most important first) and how many of them violate a PDB.
    /// </summary>
    internal (List<V1Pod> Victims, int NumPdbViolations, PluginStatus Status) SelectVictimsOnNode(
        CycleState state, V1Pod pod, NodeInfo node, IReadOnlyList<V1PodDisruptionBudget> pdbs, IFrameworkHandle handle)
    {
        int priority = Priority(pod);
        List<V1Pod> potential = [.. node.Pods.Where(p => Priority(p) < priority)];
        if (potential.Count == 0)
        {
            return ([], 0, PluginStatus.UnschedulableAndUnresolvable(Name, NoVictims));
        }

        foreach (V1Pod victim in potential)
        {
            node.RemovePod(victim);
        }

        PluginStatus fits = handle.RunFilterPluginsWithNominatedPods(state, pod, node);
        if (!fits.IsSuccess)
        {
            return ([], 0, fits);
        }

        potential.Sort(MoreImportantFirst);
        (List<V1Pod> violating, List<V1Pod> nonViolating) = SplitByPdbViolation(potential, pdbs);
        var victims = new List<V1Pod>();
        bool Reprieve(V1Pod candidate)
        {
            node.AddPod(candidate);
            if (handle.RunFilterPluginsWithNominatedPods(state, pod, node).IsSuccess)
            {
                return true;
            }

            node.RemovePod(candidate);
            victims.Add(candidate);
            return false;
        }

        int violations = violating.Count(v => !Reprieve(v));
        foreach (V1Pod candidate in nonViolating)
        {
            Reprieve(candidate);
        }

        if (violating.Count > 0 && nonViolating.Count > 0)
        {
            victims.Sort(MoreImportantFirst);
        }

        return (victims, violations, PluginStatus.Success);
    }

    /// <summary>
    /// Splits pods (order kept) into those whose eviction would exceed a matching PDB's status.disruptionsAllowed, counting the
    /// earlier pods of the list against the same budget, and the rest (upstream's filterPodsWithPDBViolation). A PDB matches pods
    /// of its namespace by its selector; a missing or empty selector matches nothing here, and a pod already listed in the PDB's
    /// disruptedPods is not counted again.
    /// </summary>
    internal static (List<V1Pod> Violating, List<V1Pod> NonViolating) SplitByPdbViolation(IReadOnlyList<V1Pod> pods, IReadOnlyList<V1PodDisruptionBudget> pdbs)
    {
        int[] allowed = [.. pdbs.Select(p => p.Status?.DisruptionsAllowed ?? 0)];
        LabelSelector?[] selectors = [.. pdbs.Select(p => p.Spec?.Selector is { } s && LabelSelector.FromModel(s) is { IsEmpty: false } parsed ? parsed : null)];
        var violating = new List<V1Pod>();
        var nonViolating = new List<V1Pod>();
        foreach (V1Pod pod in pods)
        {
            bool violated = false;
            if (pod.Metadata?.Labels is { Count: > 0 } labels)
            {
                for (int i = 0; i < pdbs.Count; i++)
                {
                    if (pdbs[i].Metadata?.NamespaceProperty != pod.Metadata.NamespaceProperty
                        || selectors[i] is not { } selector
                        || !selector.Matches(labels.AsReadOnly())
                        || pdbs[i].Status?.DisruptedPods?.ContainsKey(pod.Metadata.Name) == true)
                    {
                        continue;
                    }

                    allowed[i]--;
                    violated |= allowed[i] < 0;
                }
            }

            (violated ? violating : nonViolating).Add(pod);
        }

        return (violating, nonViolating);
    }

    /// <summary>
    /// The candidate to preempt on (upstream's pickOneNodeForPreemption), by these rules in turn, each breaking the ties of the
    /// one before: fewest PDB violations; lowest priority of the most important victim; smallest sum of victim priorities;
    /// fewest victims; latest start time of the most important victims (the earliest among them counts); else the first.
    /// </summary>
    internal static Candidate SelectCandidate(IReadOnlyList<Candidate> candidates)
    {
        Func<Candidate, long>[] scores =
        [
            c => -c.NumPdbViolations,
            c => -(long)Priority(c.Victims[0]),

            // Shifted by 2^31 so every term is positive: a few negative-priority victims must not look cheaper than fewer of them.
            c => -c.Victims.Sum(v => (long)Priority(v) + int.MaxValue + 1L),
            c => -c.Victims.Count,
            c => EarliestStartOfMostImportant(c.Victims),
        ];
        IReadOnlyList<Candidate> remaining = candidates;
        foreach (Func<Candidate, long> score in scores)
        {
            if (remaining.Count == 1)
            {
                break;
            }

            long best = remaining.Max(score);
            remaining = [.. remaining.Where(c => score(c) == best)];
        }

        return remaining[0];
    }

    private static long EarliestStartOfMostImportant(IReadOnlyList<V1Pod> victims)
    {
        int top = Priority(victims[0]);
        DateTime? earliest = victims.Where(v => Priority(v) == top).Select(v => v.Status?.StartTime).Where(t => t is not null).Min();
        return earliest is { } time ? time.ToUniversalTime().Ticks : long.MinValue;
    }

    // Upstream's MoreImportantPod: higher priority first; at equal priority the pod that started earlier (a pod not started yet
    // counts as starting now).
    private static int MoreImportantFirst(V1Pod x, V1Pod y)
    {
        int byPriority = Priority(y).CompareTo(Priority(x));
        if (byPriority != 0)
        {
            return byPriority;
        }

        DateTime now = DateTime.UtcNow;
        return (x.Status?.StartTime?.ToUniversalTime() ?? now).CompareTo(y.Status?.StartTime?.ToUniversalTime() ?? now);
    }
}
