namespace Skiff.Hosting;

/// <summary>
/// Start-up order as awaitable milestones (k3s' readiness signals): each service awaits the milestone it needs at the top of
/// ExecuteAsync, so services can be registered in any order. A fatal start-up failure faults every pending milestone.
/// </summary>
internal sealed class ClusterReadiness
{
    private readonly Dictionary<ClusterMilestone, TaskCompletionSource> _milestones = Enum.GetValues<ClusterMilestone>()
        .ToDictionary(m => m, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private Exception? _failure;

    /// <summary>The failure that stopped start-up, if any; the command turns it into a non-zero exit code.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    public bool IsReached(ClusterMilestone milestone) => _milestones[milestone].Task.IsCompletedSuccessfully;

    public Task WaitAsync(ClusterMilestone milestone, CancellationToken cancellationToken) =>
        _milestones[milestone].Task.WaitAsync(cancellationToken);

    public void Reach(ClusterMilestone milestone) => _milestones[milestone].TrySetResult();

    public void Fail(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        Interlocked.CompareExchange(ref _failure, failure, null);
        foreach (TaskCompletionSource milestone in _milestones.Values)
        {
            milestone.TrySetException(failure);
        }
    }
}
