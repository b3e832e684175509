namespace Skiff.Hosting;

/// <summary>The start-up milestones components wait for, in the order they are reached.</summary>
internal enum ClusterMilestone
{
    /// <summary>The datastore answers.</summary>
    StoreReady,

    /// <summary>The API server serves requests.</summary>
    ApiReady,
}
