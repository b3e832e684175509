using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Controllers.Job;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.CronJob;

/// <summary>
/// Creates a Job for each start time of a CronJob's schedule (upstream pkg/controller/cronjob, the v2 controller): it looks at
/// a CronJob when it or one of its Jobs changes and again just after its next start time, decides with
/// <see cref="CronJobSync.Decide"/>, then deletes, creates and writes status through the API.
/// </summary>
public sealed partial class CronJobController : Controller
{
    private readonly IKubernetes _client;
    private readonly ILogger<CronJobController> _logger;
    private readonly IEventRecorder _events;
    private SharedInformer<V1CronJob>? _cronJobs;
    private SharedInformer<V1Job>? _jobs;

    public CronJobController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        TimeProvider timeProvider,
        ILogger<CronJobController> logger,
        IEventRecorder? events = null,
        int workers = 5)
        : base("cronjob", workers, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = logger;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("cronjob-controller");
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _cronJobs = informers.CronJobs();
        _jobs = informers.Jobs();
        _cronJobs.AddEventHandler(EnqueueHandler<V1CronJob>());
        _jobs.AddEventHandler(OwnedObjectHandler<V1Job>(EnqueueOwner));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_cronJobs is null || _jobs is null || !_cronJobs.Cache.TryGet(key, out V1CronJob? cached))
        {
            return;
        }

        V1CronJob cronJob = cached;
        List<V1Job> jobs = [.. _jobs.Cache.ByIndex(CacheIndexers.OwnerUid, cronJob.Metadata.Uid).Where(j => PodControl.ControllerOf(j.Metadata)?.Uid == cronJob.Metadata.Uid)];

        // A running Job missing from status.active usually means the cache has not yet seen our last status write: ask the API.
        if (jobs.Any(j => JobSync.FinishedCondition(j) is null && cronJob.Status?.Active?.Any(a => a.Uid == j.Metadata.Uid) != true))
        {
            cronJob = await _client.BatchV1.ReadNamespacedCronJobAsync(cronJob.Metadata.Name, cronJob.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        // An active Job the cache does not have may only be late to arrive: ask the API before calling it missing.
        var missing = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1ObjectReference active in cronJob.Status?.Active ?? [])
        {
            if (active.Uid is null || jobs.Any(j => j.Metadata.Uid == active.Uid))
            {
                continue;
            }

            try
            {
                V1Job found = await _client.BatchV1.ReadNamespacedJobAsync(active.Name, active.NamespaceProperty ?? cronJob.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (found.Metadata.Uid != active.Uid)
                {
                    missing.Add(active.Uid);
                }
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                missing.Add(active.Uid);
            }
        }

        DateTimeOffset now = TimeProvider.GetUtcNow();
        CronJobDecision decision = CronJobSync.Decide(cronJob, jobs, missing, now, TimeProvider.LocalTimeZone);
        foreach (CronJobEvent e in decision.Events)
        {
            _events.Record(cronJob, e.Type, e.Reason, e.Message);
        }

        foreach (V1Job old in decision.DeleteForHistory)
        {
            if (await DeleteJobAsync(cronJob, old.Metadata.Name, old.Metadata.Uid, cancellationToken).ConfigureAwait(false))
            {
                decision.StatusChanged = true;
            }
        }

        foreach (V1ObjectReference running in decision.DeleteForReplace)
        {
            if (!await DeleteJobAsync(cronJob, running.Name, running.Uid, cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"Could not replace job {cronJob.Metadata.NamespaceProperty}/{running.Name}.");
            }
        }

        if (decision.Create is { } request && decision.ScheduledTime is { } scheduled)
        {
            V1Job? created = await CreateJobAsync(cronJob, request, cancellationToken).ConfigureAwait(false);
            if (created is not null && !decision.Status.Active.Any(a => a.Uid == created.Metadata.Uid))
            {
                decision.Status.Active.Add(CronJobSync.Reference(created));
                decision.Status.LastScheduleTime = scheduled.UtcDateTime;
                decision.StatusChanged = true;
            }
        }

        if (decision.StatusChanged)
        {
            V1CronJob update = ReplicaSetSync.Clone(cronJob);
            update.Status = decision.Status;
            await _client.BatchV1.ReplaceNamespacedCronJobStatusAsync(update, cronJob.Metadata.Name, cronJob.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        if (decision.RequeueAfter is { } after)
        {
            Queue.AddAfter(key, after);
        }
    }

    /// <summary>The created Job, or the existing one of that name if we made it before (a crash between create and status write).</summary>
    private async Task<V1Job?> CreateJobAsync(V1CronJob cronJob, V1Job request, CancellationToken cancellationToken)
    {
        string ns = cronJob.Metadata.NamespaceProperty;
        try
        {
            V1Job created = await _client.BatchV1.CreateNamespacedJobAsync(request, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogCreated(_logger, ns, cronJob.Metadata.Name, created.Metadata.Name);
            _events.Record(cronJob, EventTypes.Normal, "SuccessfulCreate", "Created job " + created.Metadata.Name);
            return created;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            V1Job existing = await _client.BatchV1.ReadNamespacedJobAsync(request.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);

            // Someone else's Job of that name: assume they keep the status, as upstream does.
            return PodControl.ControllerOf(existing.Metadata)?.Uid == cronJob.Metadata.Uid ? existing : null;
        }
        catch (HttpOperationException e)
        {
            _events.Record(cronJob, EventTypes.Warning, "FailedCreate", "Error creating job: " + JobController.ErrorMessage(e));
            throw;
        }
    }

    private async Task<bool> DeleteJobAsync(V1CronJob cronJob, string name, string? uid, CancellationToken cancellationToken)
    {
        string ns = cronJob.Metadata.NamespaceProperty;
        try
        {
            await _client.BatchV1.DeleteNamespacedJobAsync(
                name,
                ns,
                new V1DeleteOptions { PropagationPolicy = "Background", Preconditions = uid is null ? null : new V1Preconditions { Uid = uid } },
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return true;
        }
        catch (HttpOperationException e)
        {
            _events.Record(cronJob, EventTypes.Warning, "FailedDelete", "Deleted job: " + JobController.ErrorMessage(e));
            LogDeleteFailed(_logger, ns, cronJob.Metadata.Name, name, e);
            return false;
        }

        _events.Record(cronJob, EventTypes.Normal, "SuccessfulDelete", "Deleted job " + name);
        return true;
    }

    private void EnqueueOwner(V1Job job)
    {
        V1OwnerReference? owner = PodControl.ControllerOf(job.Metadata);
        if (owner is not { Kind: "CronJob" } || _cronJobs is null)
        {
            return;
        }

        if (_cronJobs.Cache.Get(job.Metadata.NamespaceProperty, owner.Name) is { } cronJob && cronJob.Metadata.Uid == owner.Uid)
        {
            Enqueue(cronJob);
        }
    }
}
