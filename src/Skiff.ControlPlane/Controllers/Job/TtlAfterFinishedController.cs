using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.Job;

/// <summary>
/// Deletes finished Jobs once spec.ttlSecondsAfterFinished has passed since they finished (upstream
/// pkg/controller/ttlafterfinished), with propagationPolicy Background so their pods go with them. The finish time is
/// status.completionTime, or the Complete/Failed condition's lastTransitionTime. Before deleting, it reads the Job again
/// from the API, since the TTL may have been changed or the Job replaced since the cache saw it.
/// </summary>
public sealed partial class TtlAfterFinishedController : Controller
{
    private readonly IKubernetes _client;
    private readonly ILogger<TtlAfterFinishedController> _logger;
    private SharedInformer<V1Job>? _jobs;

    public TtlAfterFinishedController([FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client, TimeProvider timeProvider, ILogger<TtlAfterFinishedController> logger, int workers = 2)
        : base("ttl-after-finished", workers, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = logger;
    }

    /// <summary>When the Job may be deleted, or null if it has no TTL, is not finished, or is already being deleted.</summary>
    internal static DateTimeOffset? ExpiresAt(V1Job job)
    {
        if (job.Spec?.TtlSecondsAfterFinished is not { } ttl || job.Metadata?.DeletionTimestamp is not null || JobSync.FinishedCondition(job) is not { } finished)
        {
            return null;
        }

        DateTime? at = job.Status?.CompletionTime ?? finished.LastTransitionTime;
        return at is { } time ? new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)).AddSeconds(ttl) : null;
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _jobs = informers.Jobs();
        _jobs.AddEventHandler(new InformerHandler<V1Job>(
            onAdd: EnqueueIfExpiring,
            onUpdate: (_, job) => EnqueueIfExpiring(job)));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_jobs is null || !_jobs.Cache.TryGet(key, out V1Job? cached) || ExpiresAt(cached) is null)
        {
            return;
        }

        V1Job fresh;
        try
        {
            fresh = await _client.BatchV1.ReadNamespacedJobAsync(cached.Metadata.Name, cached.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return;
        }

        if (ExpiresAt(fresh) is not { } expires)
        {
            return;
        }

        DateTimeOffset now = TimeProvider.GetUtcNow();
        if (now < expires)
        {
            Queue.AddAfter(key, expires - now);
            return;
        }

        LogDeleting(_logger, fresh.Metadata.NamespaceProperty, fresh.Metadata.Name);
        try
        {
            await _client.BatchV1.DeleteNamespacedJobAsync(
                fresh.Metadata.Name,
                fresh.Metadata.NamespaceProperty,
                new V1DeleteOptions { PropagationPolicy = "Background", Preconditions = new V1Preconditions { Uid = fresh.Metadata.Uid } },
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Gone, or replaced by another Job of the same name: nothing of ours to delete.
        }
    }

    private void EnqueueIfExpiring(V1Job job)
    {
        if (ExpiresAt(job) is { } expires)
        {
            TimeSpan left = expires - TimeProvider.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                Queue.AddAfter(ObjectKeys.Of(job), left);
            }
            else
            {
                Enqueue(job);
            }
        }
    }
}
