namespace Skiff.Machinery.Leases;

/// <summary>
/// What a candidate does with leadership. <see cref="OnStartedLeading"/> runs the leader's work; its token is cancelled the
/// moment leadership is lost or the election stops, and <see cref="OnStoppedLeading"/> follows once it returned.
/// </summary>
public sealed record LeaderElectionCallbacks(Func<CancellationToken, Task> OnStartedLeading, Action OnStoppedLeading)
{
    /// <summary>Called with the new holder's identity whenever a different leader is observed.</summary>
    public Action<string>? OnNewLeader { get; init; }
}
