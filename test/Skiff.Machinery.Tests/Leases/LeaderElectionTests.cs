using k8s.LeaderElection;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Machinery.Leases;

namespace Skiff.Machinery.Tests.Leases;

public sealed class LeaderElectionTests
{
    private static readonly TimeSpan s_retry = TimeSpan.FromSeconds(2);
    private readonly SignalingTimeProvider _time = new();
    private readonly FakeLock _lock = new("me");
    private readonly TaskCompletionSource<CancellationToken> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stopped;

    [Fact]
    public async Task RunAsync_NoLease_CreatesItLeadsAndReleasesOnCancel()
    {
        LeaderElection election = NewElection();
        using var cts = new CancellationTokenSource();
        Task run = election.RunAsync(Callbacks(), cts.Token);

        CancellationToken leaderToken = await _started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(election.IsLeader);
        Assert.Equal("me", _lock.Record?.HolderIdentity);
        Assert.Equal(15, _lock.Record?.LeaseDurationSeconds);

        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(leaderToken.IsCancellationRequested);
        Assert.Equal(1, _stopped);
        Assert.False(election.IsLeader);
        Assert.True(string.IsNullOrEmpty(_lock.Record?.HolderIdentity));
    }

    [Fact]
    public async Task RunAsync_HeldByOther_TakesOverOnlyAfterLeaseDurationWithoutRenewal()
    {
        _lock.Record = new LeaderElectionRecord { HolderIdentity = "other", LeaseDurationSeconds = 15, RenewTime = DateTime.UnixEpoch, LeaderTransitions = 3 };
        LeaderElection election = NewElection();
        using var cts = new CancellationTokenSource();
        Task run = election.RunAsync(Callbacks(), cts.Token);

        Assert.Equal(s_retry, await _time.NextTimerAsync());
        await _time.StepAsync(s_retry, 7);
        Assert.False(election.IsLeader);
        Assert.Equal("other", election.Leader);
        Assert.Empty(_lock.Writes);

        _time.Advance(s_retry);
        await _started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("me", _lock.Record?.HolderIdentity);
        Assert.Equal(4, _lock.Record?.LeaderTransitions);
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task RunAsync_RenewalsFail_StopsLeadingAfterRenewDeadlineWithoutRelease()
    {
        LeaderElection election = NewElection();
        Task run = election.RunAsync(Callbacks(), CancellationToken.None);
        CancellationToken leaderToken = await _started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await _time.NextTimerAsync();
        _lock.FailUpdates = true;

        await _time.StepAsync(s_retry, 4);
        Assert.True(election.IsLeader);
        _time.Advance(s_retry);
        await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(leaderToken.IsCancellationRequested);
        Assert.Equal(1, _stopped);
        Assert.False(election.IsLeader);
        Assert.Equal("me", _lock.Record?.HolderIdentity);
    }

    [Fact]
    public void Options_Defaults_AreUpstreamTimings()
    {
        var options = new LeaderElectionOptions { Namespace = "kube-system", LeaseName = "x", Identity = "me" };

        Assert.Equal(TimeSpan.FromSeconds(15), options.LeaseDuration);
        Assert.Equal(TimeSpan.FromSeconds(10), options.RenewDeadline);
        Assert.Equal(TimeSpan.FromSeconds(2), options.RetryPeriod);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new LeaderElection(_lock, options with { RenewDeadline = TimeSpan.FromSeconds(20) }, _time, NullLogger<LeaderElection>.Instance));
    }

    private LeaderElection NewElection() => new(
        _lock,
        new LeaderElectionOptions { Namespace = "kube-system", LeaseName = "skiff-controller-manager", Identity = "me" },
        _time,
        NullLogger<LeaderElection>.Instance);

    private LeaderElectionCallbacks Callbacks() => new(
        async token =>
        {
            _started.TrySetResult(token);
            await Task.Delay(Timeout.Infinite, token);
        },
        () => Interlocked.Increment(ref _stopped));
}
