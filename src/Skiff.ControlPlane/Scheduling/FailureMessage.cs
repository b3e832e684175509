using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>
/// Upstream's FailedScheduling text (FitError.Error): "0/3 nodes are available: 1 node(s) had untolerated taint {…}, 2
/// Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..". Each reason of each
/// rejected node is counted, and the "count reason" strings are sorted as strings, exactly as upstream does (so "10 …" sorts
/// before "2 …"). The PostFilter message (DefaultPreemption's, which is itself a FitError text) is appended with another
/// period, hence upstream's doubled one.
/// </summary>
public static class FailureMessage
{
    public const string NoNodesAvailable = "no nodes available to schedule pods";

    /// <param name="numAllNodes">Nodes in the snapshot.</param>
    /// <param name="preFilter">The PreFilter rejection, if a PreFilter plugin rejected the pod (then no node was filtered).</param>
    /// <param name="nodeToStatus">The rejecting status of each filtered node.</param>
    /// <param name="postFilterMessage">What the PostFilter plugins said (from DefaultPreemption: "preemption: …"); null or empty adds nothing.</param>
    public static string Build(int numAllNodes, PluginStatus? preFilter, IReadOnlyDictionary<string, PluginStatus> nodeToStatus, string? postFilterMessage)
    {
        ArgumentNullException.ThrowIfNull(nodeToStatus);
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

        if (!string.IsNullOrEmpty(postFilterMessage))
        {
            message += $" {postFilterMessage}.";
        }

        return message;
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
