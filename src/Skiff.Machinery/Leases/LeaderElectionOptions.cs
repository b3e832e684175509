namespace Skiff.Machinery.Leases;

/// <summary>
/// Who competes for which Lease, and upstream's timings: a leader holds the Lease for <see cref="LeaseDuration"/> after its
/// last renewal, gives up if it cannot renew within <see cref="RenewDeadline"/>, and every candidate retries every
/// <see cref="RetryPeriod"/>. The deadline is shorter than the duration so a leader stops working before anyone else may start.
/// </summary>
public sealed record LeaderElectionOptions
{
    public required string Namespace { get; init; }

    public required string LeaseName { get; init; }

    /// <summary>This candidate's identity, unique among candidates (upstream uses hostname plus a UUID).</summary>
    public required string Identity { get; init; }

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether a leader that is stopped clears the Lease, so the next candidate takes over at once.</summary>
    public bool ReleaseOnCancel { get; init; } = true;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(Namespace);
        ArgumentException.ThrowIfNullOrEmpty(LeaseName);
        ArgumentException.ThrowIfNullOrEmpty(Identity);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetryPeriod, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RenewDeadline, RetryPeriod);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(LeaseDuration, RenewDeadline);
    }
}
