using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>A plugin enabled in a <see cref="Profile"/>, with its score weight (used only if it is an <see cref="IScorePlugin"/>).</summary>
public sealed record ProfilePlugin(IPlugin Plugin, int Weight = 1);

/// <summary>
/// Which plugins run at each extension point, in order: what upstream's framework builds from a profile's plugins once
/// multiPoint is expanded. A plugin instance may appear at several points (its Filter but not its Score, for example).
/// </summary>
public sealed record ProfileExtensionPoints
{
    public IReadOnlyList<IPreFilterPlugin> PreFilter { get; init; } = [];

    public IReadOnlyList<IFilterPlugin> Filter { get; init; } = [];

    public IReadOnlyList<IPreScorePlugin> PreScore { get; init; } = [];

    public IReadOnlyList<(IScorePlugin Plugin, int Weight)> Score { get; init; } = [];

    /// <summary>Run when no node passes the filters (DefaultPreemption in the default profile).</summary>
    public IReadOnlyList<IPostFilterPlugin> PostFilter { get; init; } = [];
}

/// <summary>
/// One scheduler profile (upstream's KubeSchedulerProfile): the schedulerName pods ask for, the plugins that run for them in
/// order, and percentageOfNodesToScore (null or 0: adaptive, as upstream; 100: every node).
/// </summary>
public sealed class Profile
{
    public const string DefaultSchedulerName = SchedulerApi.DefaultSchedulerName;

    /// <summary>Every plugin runs at every extension point it implements, in the order given.</summary>
    public Profile(string schedulerName, IEnumerable<ProfilePlugin> plugins, int? percentageOfNodesToScore = null)
        : this(schedulerName, Materialize(plugins), null, percentageOfNodesToScore)
    {
    }

    /// <summary>
    /// Plugins run only at the extension points <paramref name="points"/> lists them at; <paramref name="plugins"/> is every
    /// plugin instance of the profile once, with its score weight.
    /// </summary>
    public Profile(string schedulerName, IEnumerable<ProfilePlugin> plugins, ProfileExtensionPoints points, int? percentageOfNodesToScore = null)
        : this(schedulerName, Materialize(plugins), points ?? throw new ArgumentNullException(nameof(points)), percentageOfNodesToScore)
    {
    }

    private Profile(string schedulerName, ProfilePlugin[] plugins, ProfileExtensionPoints? points, int? percentageOfNodesToScore)
    {
        ArgumentException.ThrowIfNullOrEmpty(schedulerName);
        if (percentageOfNodesToScore is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(percentageOfNodesToScore), percentageOfNodesToScore, "percentageOfNodesToScore must be between 0 and 100.");
        }

        SchedulerName = schedulerName;
        Plugins = plugins;
        PercentageOfNodesToScore = percentageOfNodesToScore;
        points ??= new ProfileExtensionPoints
        {
            PreFilter = [.. plugins.Select(p => p.Plugin).OfType<IPreFilterPlugin>()],
            Filter = [.. plugins.Select(p => p.Plugin).OfType<IFilterPlugin>()],
            PreScore = [.. plugins.Select(p => p.Plugin).OfType<IPreScorePlugin>()],
            Score = [.. plugins.Where(p => p.Plugin is IScorePlugin).Select(p => ((IScorePlugin)p.Plugin, p.Weight))],
            PostFilter = [.. plugins.Select(p => p.Plugin).OfType<IPostFilterPlugin>()],
        };
        PreFilter = [.. points.PreFilter];
        Filter = [.. points.Filter];
        PreScore = [.. points.PreScore];
        Score = [.. points.Score];
        PostFilter = [.. points.PostFilter];
    }

    public string SchedulerName { get; }

    public IReadOnlyList<ProfilePlugin> Plugins { get; }

    public int? PercentageOfNodesToScore { get; }

    public IReadOnlyList<IPreFilterPlugin> PreFilter { get; }

    public IReadOnlyList<IFilterPlugin> Filter { get; }

    public IReadOnlyList<IPreScorePlugin> PreScore { get; }

    public IReadOnlyList<(IScorePlugin Plugin, int Weight)> Score { get; }

    /// <summary>Run when no node passes the filters (DefaultPreemption in the default profile).</summary>
    public IReadOnlyList<IPostFilterPlugin> PostFilter { get; }

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

    private static ProfilePlugin[] Materialize(IEnumerable<ProfilePlugin> plugins)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        return [.. plugins];
    }
}
