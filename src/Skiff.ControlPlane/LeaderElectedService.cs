using k8s;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Skiff.Machinery.Leases;

namespace Skiff.ControlPlane;

/// <summary>
/// A control-plane component that works only while it holds a Lease in kube-system (kube-controller-manager, kube-scheduler):
/// once the API is up it competes for the Lease and runs one term of work while leading. When leadership is lost the term's
/// work stops; instead of exiting (upstream), it competes again with a fresh election, because here it shares the process
/// with the API server.
/// </summary>
public abstract class LeaderElectedService : BackgroundService
{
    public const string LeaseNamespace = "kube-system";

    private readonly IKubernetes _client;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly LeaderElectionOptions _election;
    private readonly Func<CancellationToken, Task> _waitForApiAsync;

    protected LeaderElectedService(
        IKubernetes client, TimeProvider timeProvider, ILoggerFactory loggerFactory, string leaseName, string identity, Func<CancellationToken, Task> waitForApiAsync)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(waitForApiAsync);
        _client = client;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _election = new LeaderElectionOptions { Namespace = LeaseNamespace, LeaseName = leaseName, Identity = identity };
        _waitForApiAsync = waitForApiAsync;
    }

    /// <summary>The work of one leadership term; <paramref name="leading"/> is cancelled when the term ends.</summary>
    protected abstract Task RunTermAsync(CancellationToken leading);

    /// <summary>Called when a term ends (the Lease was lost or the host stops).</summary>
    protected abstract void OnStoppedLeading();

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The host decides when the API is ready (STYLE.md §7: each service awaits its milestone first).
        await _waitForApiAsync(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            LeaderElection election = LeaderElection.ForLease(_client, _election, _timeProvider, _loggerFactory.CreateLogger<LeaderElection>());
            await election.RunAsync(new LeaderElectionCallbacks(RunTermAsync, OnStoppedLeading), stoppingToken).ConfigureAwait(false);
        }
    }
}
