using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>
/// Upstream's FailedScheduling text: "0/3 nodes are available: 1 node(s) had untolerated taint {…}, 2 Insufficient cpu.
/// preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..". Each reason of each rejected node
/// is counted, and the "count reason" strings are sorted as strings, exactly as upstream does (so "10 …" sorts before "2 …").
/// </summary>
public static class FailureMessage
{
    public const string NoNodesAvailable = "no nodes available to schedule pods";

    private const string PreemptionNotHelpful = "Preemption is not helpful for scheduling";
    private const string NoVictims = "No preemption victims found for incoming pod";

    /// <param name="numAllNodes">Nodes in the snapshot.</param>
    /// <param name="preFilter">The PreFilter rejection, if a PreFilter plugin rejected the pod (then no node was filtered).</param>
    /// <param name="nodeToStatus">The rejecting status of each filtered node.</param>
    /// <param name="pod">The pod, for its preemptionPolicy.</param>
    public static string Build(int numAllNodes, PluginStatus? preFilter, IReadOnlyDictionary<string, PluginStatus> nodeToStatus, V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(nodeToStatus);
        ArgumentNullException.ThrowIfNull(pod);
        if (numAllNodes == 0)
        {
            return NoNodesAvailable;
        }

        string message = $"0/{numAllNodes} nodes are available:";
        if (preFilter is not null)
        {
            message += $" {string.Join(", ", preFilter.Reasons)}.";
        }

        List<string> histogram = Histogram(nodeToStatus.Values.SelectMany(s => s.Reasons));
        if (histogram.Count > 0)
        {
            message += $" {string.Join(", ", histogram)}.";
        }

        return $"{message} {Preemption(numAllNodes, preFilter, nodeToStatus, pod)}";
    }

    /// <summary>
    /// What upstream's DefaultPreemption says when it finds no victims. Skiff does not preempt yet, so a node preemption could
    /// help is reported as having no victims, and a node it could not help (UnschedulableAndUnresolvable) as such.
    /// </summary>
    private static string Preemption(int numAllNodes, PluginStatus? preFilter, IReadOnlyDictionary<string, PluginStatus> nodeToStatus, V1Pod pod)
    {
        if (pod.Spec?.PreemptionPolicy == "Never")
        {
            return "preemption: not eligible due to preemptionPolicy=Never.";
        }

        IEnumerable<string> perNode;
        if (preFilter is not null)
        {
            string reason = preFilter.Code == StatusCode.UnschedulableAndUnresolvable ? PreemptionNotHelpful : NoVictims;
            perNode = Enumerable.Repeat(reason, numAllNodes);
        }
        else
        {
            perNode = nodeToStatus.Values.Select(s => s.Code == StatusCode.UnschedulableAndUnresolvable ? PreemptionNotHelpful : NoVictims);
        }

        // The doubled period is upstream's: preemption's own message ends with one and the event text adds another.
        return $"preemption: 0/{numAllNodes} nodes are available: {string.Join(", ", Histogram(perNode))}..";
    }

    private static List<string> Histogram(IEnumerable<string> reasons)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string reason in reasons)
        {
            counts[reason] = counts.GetValueOrDefault(reason) + 1;
        }

        List<string> lines = [.. counts.Select(kv => $"{kv.Value} {kv.Key}")];
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }
}
