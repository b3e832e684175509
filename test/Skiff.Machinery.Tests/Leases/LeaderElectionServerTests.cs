using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Machinery.Leases;
using Skiff.TestKit.Server;

namespace Skiff.Machinery.Tests.Leases;

public sealed class LeaderElectionServerTests(SkiffServerFixture fixture) : IClassFixture<SkiffServerFixture>
{
    [Fact]
    public async Task TwoCandidates_ExactlyOneLeads_OtherTakesOverAfterRelease()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using Kubernetes secondClient = fixture.NewClient();
        var a = new Candidate("candidate-a", fixture.Client);
        var b = new Candidate("candidate-b", secondClient);
        Task runA = a.Election.RunAsync(a.Callbacks, a.Stop.Token);
        Task runB = b.Election.RunAsync(b.Callbacks, b.Stop.Token);

        Task<string> first = await Task.WhenAny(a.Started.Task, b.Started.Task).WaitAsync(timeout.Token);
        (Candidate leader, Candidate follower) = await first == a.Identity ? (a, b) : (b, a);
        // The follower saw the Lease held by the leader (so it competed and lost), and it does not lead.
        Assert.Equal(leader.Identity, await follower.SawLeader(leader.Identity).WaitAsync(timeout.Token));
        Assert.False(follower.Started.Task.IsCompleted);
        Assert.False(follower.Election.IsLeader);
        Assert.True(leader.Election.IsLeader);
        V1Lease lease = await fixture.Client.CoordinationV1.ReadNamespacedLeaseAsync("skiff-test-leader", "default", cancellationToken: timeout.Token);
        Assert.Equal(leader.Identity, lease.Spec.HolderIdentity);

        await leader.Stop.CancelAsync();
        await (leader == a ? runA : runB).WaitAsync(timeout.Token);
        Assert.True(leader.StoppedLeading);

        Assert.Equal(follower.Identity, await follower.Started.Task.WaitAsync(timeout.Token));
        lease = await fixture.Client.CoordinationV1.ReadNamespacedLeaseAsync("skiff-test-leader", "default", cancellationToken: timeout.Token);
        Assert.Equal(follower.Identity, lease.Spec.HolderIdentity);

        await follower.Stop.CancelAsync();
        await (follower == a ? runA : runB).WaitAsync(timeout.Token);
        a.Stop.Dispose();
        b.Stop.Dispose();
    }

    private sealed class Candidate
    {
        private readonly Lock _gate = new();
        private readonly List<(string Leader, TaskCompletionSource<string> Seen)> _waiters = [];
        private readonly HashSet<string> _seen = [];

        public Candidate(string identity, IKubernetes client)
        {
            Identity = identity;
            var options = new LeaderElectionOptions
            {
                Namespace = "default",
                LeaseName = "skiff-test-leader",
                Identity = identity,
                // Short timings keep the test quick; the defaults are upstream's 15 s / 10 s / 2 s.
                LeaseDuration = TimeSpan.FromSeconds(4),
                RenewDeadline = TimeSpan.FromSeconds(3),
                RetryPeriod = TimeSpan.FromMilliseconds(200),
            };
            Election = LeaderElection.ForLease(client, options, TimeProvider.System, NullLogger<LeaderElection>.Instance);
            Callbacks = new LeaderElectionCallbacks(
                async token =>
                {
                    Started.TrySetResult(identity);
                    await Task.Delay(Timeout.Infinite, token);
                },
                () => StoppedLeading = true)
            {
                OnNewLeader = OnNewLeader,
            };
        }

        public string Identity { get; }

        public LeaderElection Election { get; }

        public LeaderElectionCallbacks Callbacks { get; }

        public CancellationTokenSource Stop { get; } = new();

        public TaskCompletionSource<string> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool StoppedLeading { get; private set; }

        public Task<string> SawLeader(string leader)
        {
            lock (_gate)
            {
                if (_seen.Contains(leader))
                {
                    return Task.FromResult(leader);
                }

                var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((leader, seen));
                return seen.Task;
            }
        }

        private void OnNewLeader(string leader)
        {
            lock (_gate)
            {
                _seen.Add(leader);
                foreach ((string wanted, TaskCompletionSource<string> seen) in _waiters.Where(w => w.Leader == leader))
                {
                    seen.TrySetResult(leader);
                }
            }
        }
    }
}
