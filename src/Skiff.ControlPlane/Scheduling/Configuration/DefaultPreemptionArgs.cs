namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>Upstream's DefaultPreemptionArgs: how many candidate nodes a preemption dry-runs at least.</summary>
/// <param name="MinCandidateNodesPercentage">Percentage of the nodes, 0–100 (default 10).</param>
/// <param name="MinCandidateNodesAbsolute">A floor on that count (default 100).</param>
public sealed record DefaultPreemptionArgs(int MinCandidateNodesPercentage = 10, int MinCandidateNodesAbsolute = 100);
