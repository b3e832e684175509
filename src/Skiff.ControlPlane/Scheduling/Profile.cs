using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>A plugin enabled in a <see cref="Profile"/>, with its score weight (used only if it is an <see cref="IScorePlugin"/>).</summary>
public sealed record ProfilePlugin(IPlugin Plugin, int Weight = 1);

/// <summary>
/// One scheduler profile (upstream's KubeSchedulerProfile): the schedulerName pods ask for, the plugins that run for them in
/// order, and percentageOfNodesToScore (null or 0: adaptive, as upstream; 100: every node).
/// </summary>
public sealed class Profile
{
    public const string DefaultSchedulerName = SchedulerApi.DefaultSchedulerName;

    public Profile(string schedulerName, IEnumerable<ProfilePlugin> plugins, int? percentageOfNodesToScore = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(schedulerName);
        ArgumentNullException.ThrowIfNull(plugins);
        if (percentageOfNodesToScore is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(percentageOfNodesToScore), percentageOfNodesToScore, "percentageOfNodesToScore must be between 0 and 100.");
        }

        SchedulerName = schedulerName;
        Plugins = [.. plugins];
        PercentageOfNodesToScore = percentageOfNodesToScore;
        PreFilter = [.. Plugins.Select(p => p.Plugin).OfType<IPreFilterPlugin>()];
        Filter = [.. Plugins.Select(p => p.Plugin).OfType<IFilterPlugin>()];
        PreScore = [.. Plugins.Select(p => p.Plugin).OfType<IPreScorePlugin>()];
        Score = [.. Plugins.Where(p => p.Plugin is IScorePlugin).Select(p => ((IScorePlugin)p.Plugin, p.Weight))];
        PostFilter = [.. Plugins.Select(p => p.Plugin).OfType<IPostFilterPlugin>()];
    }

    public string SchedulerName { get; }

    public IReadOnlyList<ProfilePlugin> Plugins { get; }

    public int? PercentageOfNodesToScore { get; }

    internal IReadOnlyList<IPreFilterPlugin> PreFilter { get; }

    internal IReadOnlyList<IFilterPlugin> Filter { get; }

    internal IReadOnlyList<IPreScorePlugin> PreScore { get; }

    internal IReadOnlyList<(IScorePlugin Plugin, int Weight)> Score { get; }

    /// <summary>Run when no node passes the filters (DefaultPreemption in the default profile).</summary>
    internal IReadOnlyList<IPostFilterPlugin> PostFilter { get; }

    /// <summary>
    /// How many feasible nodes a cycle looks for before it stops filtering (upstream numFeasibleNodesToFind): every node in
    /// clusters under 100 nodes; otherwise the configured percentage, or adaptively 50% minus 1% per 125 nodes, at least 5%;
    /// never fewer than 100.
    /// </summary>
    public int NumFeasibleNodesToFind(int allNodes)
    {
        const int MinFeasibleNodesToFind = 100;
        const int MinFeasibleNodesPercentageToFind = 5;
        if (allNodes < MinFeasibleNodesToFind)
        {
            return allNodes;
        }

        int percentage = PercentageOfNodesToScore ?? 0;
        if (percentage >= 100)
        {
            return allNodes;
        }

        if (percentage <= 0)
        {
            percentage = Math.Max(50 - (allNodes / 125), MinFeasibleNodesPercentageToFind);
        }

        int count = (int)((long)allNodes * percentage / 100);
        return Math.Max(count, MinFeasibleNodesToFind);
    }
}
