using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling;

public sealed partial class Scheduler
{
    // Below this many nodes a batch is filtered (or scored) on the calling thread: a Filter or Score call costs well under a
    // microsecond, so Parallel.For's hand-off, and on busy cores the wait for a preempted worker, costs more than it saves
    // (bench/README.md, scheduler: 5,000 nodes search 500 per cycle, and sequential doubled pods/s on two shared cores).
    private const int MinParallelBatch = 1024;

    // The fewest nodes filtered per batch, so a cycle that needs only a few more feasible nodes still makes progress in steps.
    private const int MinBatch = 64;

    // Where the next cycle starts filtering, so that with percentageOfNodesToScore below 100 every node gets its turn.
    private int _nextStartNodeIndex;

    /// <summary>
    /// The scheduling algorithm for one pod on one snapshot (upstream's schedulePod): PreFilter, Filter until enough feasible
    /// nodes are found, PreScore, Score, and the highest total (ties broken by a random number seeded from the pod UID). It only
    /// reads the snapshot; assuming and binding are the caller's.
    /// </summary>
    public ScheduleResult SchedulePod(Profile profile, V1Pod pod, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(snapshot);
        IReadOnlyList<NodeInfo> nodes = snapshot.Nodes;
        if (nodes.Count == 0)
        {
            return new ScheduleResult(pod, null, FailureMessage.NoNodesAvailable);
        }

        var state = new CycleState();
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        foreach (IPreFilterPlugin plugin in profile.PreFilter)
        {
            PluginStatus status = plugin.PreFilter(state, pod, snapshot) ?? PluginStatus.Success;
            if (status.Code == StatusCode.Skip)
            {
                skipped.Add(plugin.Name);
            }
            else if (status.Code == StatusCode.Error)
            {
                return Error(pod, $"running PreFilter plugin \"{plugin.Name}\": {string.Join(", ", status.Reasons)}");
            }
            else if (!status.IsSuccess)
            {
                var empty = new Dictionary<string, PluginStatus>(StringComparer.Ordinal);
                status = status.Plugin is null ? status with { Plugin = plugin.Name } : status;
                return new ScheduleResult(pod, null, FailureMessage.Build(nodes.Count, status, empty, null))
                {
                    UnschedulablePlugins = new HashSet<string>([status.Plugin!], StringComparer.Ordinal),
                    Fit = new FitFailure(state, status, [.. profile.Filter.Where(f => !skipped.Contains(f.Name))], _queue.NominatedPodsByNode(), snapshot),
                };
            }
        }

        IFilterPlugin[] filters = [.. profile.Filter.Where(f => !skipped.Contains(f.Name))];
        IReadOnlyDictionary<string, IReadOnlyList<V1Pod>> nominated = _queue.NominatedPodsByNode();

        // A pod nominated by an earlier preemption tries that node first (upstream's evaluateNominatedNode).
        if (NominatedNodeToTry(pod) is { } nominatedNode && snapshot.Find(nominatedNode) is { } nominatedInfo
            && RunFiltersWithNominatedPods(state, pod, nominatedInfo, filters, nominated) is null)
        {
            return new ScheduleResult(pod, nominatedNode, null) { FeasibleNodes = 1, EvaluatedNodes = 1 };
        }

        (List<NodeInfo> feasible, Dictionary<string, PluginStatus> rejected, int evaluated, string? error) =
            FindFeasibleNodes(state, pod, nodes, filters, profile.NumFeasibleNodesToFind(nodes.Count), nominated);
        if (error is not null)
        {
            return Error(pod, error);
        }

        if (feasible.Count == 0)
        {
            return new ScheduleResult(pod, null, FailureMessage.Build(nodes.Count, null, rejected, null))
            {
                EvaluatedNodes = evaluated,
                NodeToStatus = rejected,
                UnschedulablePlugins = rejected.Values.Select(s => s.Plugin ?? string.Empty).Where(p => p.Length > 0).ToHashSet(StringComparer.Ordinal),
                Fit = new FitFailure(state, null, filters, nominated, snapshot),
            };
        }

        // With one feasible node there is nothing to rank (upstream skips scoring too).
        if (feasible.Count == 1)
        {
            return new ScheduleResult(pod, feasible[0].Name, null) { FeasibleNodes = 1, EvaluatedNodes = evaluated, NodeToStatus = rejected };
        }

        (long[]? totals, string? scoreError) = ScoreNodes(profile, state, pod, feasible, snapshot);
        if (scoreError is not null || totals is null)
        {
            return Error(pod, scoreError ?? "scoring failed");
        }

        return new ScheduleResult(pod, feasible[SelectHost(pod, totals)].Name, null)
        {
            FeasibleNodes = feasible.Count,
            EvaluatedNodes = evaluated,
            NodeToStatus = rejected,
        };
    }

    private (List<NodeInfo> Feasible, Dictionary<string, PluginStatus> Rejected, int Evaluated, string? Error) FindFeasibleNodes(
        CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes, IFilterPlugin[] filters, int numToFind, IReadOnlyDictionary<string, IReadOnlyList<V1Pod>> nominated)
    {
        int count = nodes.Count;
        int start = _nextStartNodeIndex % count;
        var feasible = new List<NodeInfo>(Math.Min(numToFind, count));
        var rejected = new Dictionary<string, PluginStatus>(StringComparer.Ordinal);
        int processed = 0;

        // Nodes are filtered in batches (in parallel when large) and the results consumed in node order, so the outcome does not
        // depend on thread timing; at most one batch of work past the numToFind-th feasible node is wasted.
        while (processed < count && feasible.Count < numToFind)
        {
            int batch = Math.Min(count - processed, Math.Max(numToFind - feasible.Count, MinBatch));
            var results = new PluginStatus?[batch];
            int offset = processed;
            void Run(int i) => results[i] = RunFiltersWithNominatedPods(state, pod, nodes[(start + offset + i) % count], filters, nominated);
            if (batch < MinParallelBatch || _parallelism == 1)
            {
                for (int i = 0; i < batch; i++)
                {
                    Run(i);
                }
            }
            else
            {
                Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = _parallelism }, Run);
            }

            for (int i = 0; i < batch && feasible.Count < numToFind; i++)
            {
                NodeInfo node = nodes[(start + offset + i) % count];
                processed++;
                PluginStatus? status = results[i];
                if (status is null)
                {
                    feasible.Add(node);
                }
                else if (status.Code == StatusCode.Error)
                {
                    return (feasible, rejected, processed, $"running Filter plugin \"{status.Plugin}\" on node \"{node.Name}\": {string.Join(", ", status.Reasons)}");
                }
                else
                {
                    rejected[node.Name] = status;
                }
            }
        }

        _nextStartNodeIndex = (start + processed) % count;
        return (feasible, rejected, processed, null);
    }

    // Null when every Filter passes; otherwise the first rejection, as upstream stops at the first failing plugin.
    private static PluginStatus? RunFilters(CycleState state, V1Pod pod, NodeInfo node, IFilterPlugin[] filters)
    {
        foreach (IFilterPlugin filter in filters)
        {
            PluginStatus status = filter.Filter(state, pod, node) ?? PluginStatus.Success;
            if (!status.IsSuccess)
            {
                return status.Plugin is null ? status with { Plugin = filter.Name } : status;
            }
        }

        return null;
    }

    private (long[]? Totals, string? Error) ScoreNodes(Profile profile, CycleState state, V1Pod pod, List<NodeInfo> feasible, IClusterSnapshot snapshot)
    {
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        foreach (IPreScorePlugin plugin in profile.PreScore)
        {
            PluginStatus status = plugin.PreScore(state, pod, feasible, snapshot) ?? PluginStatus.Success;
            if (status.Code == StatusCode.Skip)
            {
                skipped.Add(plugin.Name);
            }
            else if (!status.IsSuccess)
            {
                return (null, $"running PreScore plugin \"{plugin.Name}\": {string.Join(", ", status.Reasons)}");
            }
        }

        long[] totals = new long[feasible.Count];
        long[] scores = new long[feasible.Count];
        foreach ((IScorePlugin plugin, int weight) in profile.Score)
        {
            if (skipped.Contains(plugin.Name))
            {
                continue;
            }

            if (feasible.Count < MinParallelBatch || _parallelism == 1)
            {
                for (int i = 0; i < feasible.Count; i++)
                {
                    scores[i] = plugin.Score(state, pod, feasible[i]);
                }
            }
            else
            {
                Parallel.For(0, feasible.Count, new ParallelOptions { MaxDegreeOfParallelism = _parallelism }, i => scores[i] = plugin.Score(state, pod, feasible[i]));
            }

            plugin.NormalizeScores(state, pod, scores);
            for (int i = 0; i < scores.Length; i++)
            {
                if (scores[i] is < 0 or > IScorePlugin.MaxNodeScore)
                {
                    return (null, $"plugin \"{plugin.Name}\" returns an invalid score {scores[i]}, it should in the range of [0, {IScorePlugin.MaxNodeScore}] after normalizing");
                }

                totals[i] += scores[i] * weight;
            }
        }

        return (totals, null);
    }

    // The highest total; among equal ones each is equally likely (reservoir sampling), from a generator seeded with the pod UID
    // so a run can be replayed.
    private static int SelectHost(V1Pod pod, long[] totals)
    {
        var random = new Random(StableSeed(pod.Metadata?.Uid ?? string.Empty));
        int best = 0;
        int ties = 1;
        for (int i = 1; i < totals.Length; i++)
        {
            if (totals[i] > totals[best])
            {
                best = i;
                ties = 1;
            }
            else if (totals[i] == totals[best])
            {
                ties++;
                if (random.Next(ties) == 0)
                {
                    best = i;
                }
            }
        }

        return best;
    }

    // FNV-1a: string.GetHashCode differs between processes.
    private static int StableSeed(string value)
    {
        uint hash = 2166136261;
        foreach (char c in value)
        {
            hash = (hash ^ c) * 16777619;
        }

        return unchecked((int)hash);
    }

    private static ScheduleResult Error(V1Pod pod, string message) => new(pod, null, message) { IsError = true };
}
