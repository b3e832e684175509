using System.Net;
using k8s;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Logging;

namespace Skiff.Machinery.Leases;

/// <summary>
/// Leader election over a coordination.k8s.io/v1 Lease. The Lease reads and writes are KubernetesClient's
/// <see cref="LeaseLock"/> (STYLE.md §2); the loop is ours because <see cref="LeaderElector"/> reads the wall clock and sleeps
/// on real time (so it cannot run on an injected <see cref="TimeProvider"/>) and never releases the Lease when stopped.
/// Expiry is judged by when this candidate last saw the Lease change, on its own clock, never by the holder's timestamps,
/// so clock skew between candidates cannot make two leaders.
/// </summary>
public sealed partial class LeaderElection
{
    private readonly ILock _lock;
    private readonly LeaderElectionOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private LeaderElectionRecord? _observedRecord;
    private DateTimeOffset _observedTime;
    private string? _reportedLeader;

    public LeaderElection(ILock leaseLock, LeaderElectionOptions options, TimeProvider timeProvider, ILogger<LeaderElection> logger)
    {
        ArgumentNullException.ThrowIfNull(leaseLock);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _lock = leaseLock;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>An election over the Lease <see cref="LeaderElectionOptions.LeaseName"/> through <paramref name="client"/>.</summary>
    public static LeaderElection ForLease(IKubernetes client, LeaderElectionOptions options, TimeProvider timeProvider, ILogger<LeaderElection> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new LeaderElection(new LeaseLock(client, options.Namespace, options.LeaseName, options.Identity), options, timeProvider, logger);
    }

    /// <summary>True while this candidate holds the Lease (as of its last successful acquire or renew).</summary>
    public bool IsLeader { get; private set; }

    /// <summary>The holder last observed, or null before the first observation.</summary>
    public string? Leader => _observedRecord?.HolderIdentity;

    /// <summary>
    /// Competes until this candidate leads, runs <see cref="LeaderElectionCallbacks.OnStartedLeading"/> while renewing, and
    /// returns once leadership is lost or <paramref name="cancellationToken"/> is cancelled (then the Lease is released if
    /// <see cref="LeaderElectionOptions.ReleaseOnCancel"/>). Like upstream, a candidate that lost leadership does not
    /// compete again: its process should exit and restart.
    /// </summary>
    public async Task RunAsync(LeaderElectionCallbacks callbacks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(callbacks);
        if (!await AcquireAsync(callbacks, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task work = Task.Run(() => callbacks.OnStartedLeading(leading.Token), CancellationToken.None);
        try
        {
            await RenewAsync(callbacks, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            IsLeader = false;
            await leading.CancelAsync().ConfigureAwait(false);
            try
            {
                await work.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (leading.IsCancellationRequested)
            {
                // The leader's work ends by cancellation; that is the normal way out.
            }

            if (cancellationToken.IsCancellationRequested && _options.ReleaseOnCancel)
            {
                await ReleaseAsync().ConfigureAwait(false);
            }

            callbacks.OnStoppedLeading();
        }
    }

    private async Task<bool> AcquireAsync(LeaderElectionCallbacks callbacks, CancellationToken cancellationToken)
    {
        LogAcquiring(_options.Identity, _options.Namespace, _options.LeaseName);
        while (!cancellationToken.IsCancellationRequested)
        {
            bool acquired = await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false);
            ReportTransition(callbacks);
            if (acquired)
            {
                IsLeader = true;
                LogAcquired(_options.Identity, _options.Namespace, _options.LeaseName);
                return true;
            }

            if (!await DelayAsync(_options.RetryPeriod, cancellationToken).ConfigureAwait(false))
            {
                break;
            }
        }

        return false;
    }

    /// <summary>Renews every retry period; returns when a renewal missed the deadline or the election is cancelled.</summary>
    private async Task RenewAsync(LeaderElectionCallbacks callbacks, CancellationToken cancellationToken)
    {
        DateTimeOffset lastRenew = _timeProvider.GetUtcNow();
        while (await DelayAsync(_options.RetryPeriod, cancellationToken).ConfigureAwait(false))
        {
            bool renewed = await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false);
            ReportTransition(callbacks);
            DateTimeOffset now = _timeProvider.GetUtcNow();
            if (renewed)
            {
                lastRenew = now;
            }
            else if (now - lastRenew >= _options.RenewDeadline || (Leader is { } holder && holder != _options.Identity))
            {
                LogLost(_options.Identity, _options.Namespace, _options.LeaseName);
                return;
            }
        }
    }

    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = _timeProvider.GetUtcNow();
        // Lease times are metav1.MicroTime, but whole seconds keep what we write stable across round trips (STYLE.md §8).
        DateTime stamp = new(now.UtcDateTime.Ticks - (now.UtcDateTime.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        var desired = new LeaderElectionRecord
        {
            HolderIdentity = _options.Identity,
            LeaseDurationSeconds = (int)Math.Ceiling(_options.LeaseDuration.TotalSeconds),
            AcquireTime = stamp,
            RenewTime = stamp,
        };

        try
        {
            LeaderElectionRecord current;
            try
            {
                current = await _lock.GetAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException ex) when (ex.Response?.StatusCode == HttpStatusCode.NotFound)
            {
                if (!await _lock.CreateAsync(desired, cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }

                Observe(desired, now);
                return true;
            }

            if (!SameRecord(current, _observedRecord))
            {
                Observe(current, now);
            }

            bool heldByOther = !string.IsNullOrEmpty(current.HolderIdentity) && current.HolderIdentity != _options.Identity;
            if (heldByOther && _observedTime + TimeSpan.FromSeconds(current.LeaseDurationSeconds) > now)
            {
                return false;
            }

            if (current.HolderIdentity == _options.Identity)
            {
                desired.AcquireTime = current.AcquireTime;
                desired.LeaderTransitions = current.LeaderTransitions;
            }
            else
            {
                desired.LeaderTransitions = current.LeaderTransitions + 1;
            }

            if (!await _lock.UpdateAsync(desired, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            Observe(desired, now);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
#pragma warning disable CA1031 // Any API failure just means "not acquired this round"; it is logged and retried.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogLeaseError(_options.Namespace, _options.LeaseName, ex);
            return false;
        }
    }

    private async Task ReleaseAsync()
    {
        if (_observedRecord?.HolderIdentity != _options.Identity)
        {
            return;
        }

        // The election is already cancelled; the release gets its own short budget so shutdown stays prompt.
        using var timeout = new CancellationTokenSource(_options.RenewDeadline, _timeProvider);
        DateTime now = _timeProvider.GetUtcNow().UtcDateTime;
        var released = new LeaderElectionRecord
        {
            HolderIdentity = string.Empty,
            LeaseDurationSeconds = 1,
            AcquireTime = now,
            RenewTime = now,
            LeaderTransitions = _observedRecord.LeaderTransitions,
        };
        try
        {
            if (await _lock.UpdateAsync(released, timeout.Token).ConfigureAwait(false))
            {
                Observe(released, _timeProvider.GetUtcNow());
                LogReleased(_options.Identity, _options.Namespace, _options.LeaseName);
            }
        }
#pragma warning disable CA1031 // A failed release only delays the next leader by one lease duration; it is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogLeaseError(_options.Namespace, _options.LeaseName, ex);
        }
    }

    private void Observe(LeaderElectionRecord record, DateTimeOffset now)
    {
        _observedRecord = record;
        _observedTime = now;
    }

    private void ReportTransition(LeaderElectionCallbacks callbacks)
    {
        string? holder = Leader;
        if (string.IsNullOrEmpty(holder) || holder == _reportedLeader)
        {
            return;
        }

        _reportedLeader = holder;
        LogNewLeader(holder, _options.Namespace, _options.LeaseName);
        callbacks.OnNewLeader?.Invoke(holder);
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static bool SameRecord(LeaderElectionRecord a, LeaderElectionRecord? b) =>
        b is not null && a.HolderIdentity == b.HolderIdentity && a.RenewTime == b.RenewTime &&
        a.AcquireTime == b.AcquireTime && a.LeaseDurationSeconds == b.LeaseDurationSeconds &&
        a.LeaderTransitions == b.LeaderTransitions;
}
