using System.Collections.Concurrent;
using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;
using Skiff.Machinery.Json;

namespace Skiff.ControlPlane.Controllers.Job;

/// <summary>
/// Runs each Job's pods to completion (upstream pkg/controller/job): keeps min(parallelism, remaining completions) pods
/// active, counts finished pods into status, and marks the Job Complete or Failed (backoffLimit, activeDeadlineSeconds).
/// Every pod it creates carries the <see cref="JobSync.TrackingFinalizer"/>; a finished pod's uid first goes into
/// status.uncountedTerminatedPods, then the finalizer is removed, then the uid moves into succeeded/failed, so a pod is
/// counted exactly once even across a crash. Queue keys are Job keys, or <c>orphan:</c> plus a pod key for a pod whose Job
/// is gone but which still has the finalizer.
/// </summary>
public sealed partial class JobController : Controller
{
    internal const string OrphanPrefix = "orphan:";

    // A status write not seen by the informer within this time is assumed lost (a relist may skip it).
    private static readonly TimeSpan s_statusWriteTimeout = TimeSpan.FromSeconds(30);

    private readonly IKubernetes _client;
    private readonly ILogger<JobController> _logger;
    private readonly IEventRecorder _events;
    private readonly TimeSpan _podFailureBackoff;
    private readonly ControllerExpectations _expectations;

    // Pod uid → true while a finalizer removal is done but not yet seen by the pod informer: such a pod must not be counted again.
    private readonly ConcurrentDictionary<string, bool> _finalizerRemovals = new(StringComparer.Ordinal);

    // Job uid → the resourceVersion of our last status write, until the Job informer delivers it. Until then the cache may
    // show the Job from before uids moved into uncountedTerminatedPods, and counting from it could count twice.
    private readonly Dictionary<string, (string Version, DateTimeOffset At)> _statusWrites = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<string>> _seenVersions = new(StringComparer.Ordinal);
    private readonly Lock _statusLock = new();

    // Job uid → when the controller last counted a pod failure (for the pod failure back-off).
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastFailure = new(StringComparer.Ordinal);

    private SharedInformer<V1Job>? _jobs;
    private SharedInformer<V1Pod>? _pods;

    public JobController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        TimeProvider timeProvider,
        ILogger<JobController> logger,
        IEventRecorder? events = null,
        int workers = 5,
        TimeSpan? podFailureBackoff = null)
        : base("job", workers, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = logger;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("job-controller");
        _podFailureBackoff = podFailureBackoff ?? TimeSpan.FromSeconds(10);
        _expectations = new ControllerExpectations(timeProvider);
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _jobs = informers.Jobs();
        _pods = informers.Pods();
        _jobs.AddEventHandler(new InformerHandler<V1Job>(
            onAdd: job =>
            {
                ObserveVersion(job);
                Enqueue(job);
            },
            onUpdate: (_, job) =>
            {
                ObserveVersion(job);
                Enqueue(job);
            },
            onDelete: job =>
            {
                _expectations.Delete(ObjectKeys.Of(job));
                ForgetJob(job.Metadata?.Uid);
                Enqueue(job);
                ReleasePodsOf(job);
            }));
        _pods.AddEventHandler(new InformerHandler<V1Pod>(OnPodAdd, OnPodUpdate, OnPodDelete));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (key.StartsWith(OrphanPrefix, StringComparison.Ordinal))
        {
            await ReleaseOrphanAsync(key[OrphanPrefix.Length..], cancellationToken).ConfigureAwait(false);
            return;
        }

        if (_jobs is null || _pods is null || !_jobs.Cache.TryGet(key, out V1Job? job))
        {
            _expectations.Delete(key);
            return;
        }

        List<V1Pod> pods = [.. _pods.Cache.ByIndex(CacheIndexers.OwnerUid, job.Metadata.Uid).Where(p => PodControl.ControllerOf(p.Metadata)?.Uid == job.Metadata.Uid)];
        if (JobSync.FinishedCondition(job) is not null || job.Metadata.DeletionTimestamp is not null)
        {
            // Nothing is counted any more; the pods must not stay held by our finalizer.
            await RemoveFinalizersAsync(pods.Where(p => JobSync.HasTrackingFinalizer(p) && !_finalizerRemovals.ContainsKey(p.Metadata.Uid)), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!StatusWriteObserved(job))
        {
            // Our last status write is on its way to the cache; its event brings the Job back here.
            return;
        }

        await SyncAsync(key, job, pods, cancellationToken).ConfigureAwait(false);
    }

    private async Task ReleaseOrphanAsync(string podKey, CancellationToken cancellationToken)
    {
        if (_pods is null || !_pods.Cache.TryGet(podKey, out V1Pod? pod) || !JobSync.HasTrackingFinalizer(pod) || ControllingJob(pod) is not null)
        {
            return;
        }

        LogReleasingOrphan(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name);
        await RemoveFinalizersAsync([pod], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the tracking finalizer; returns the uids whose finalizer is gone (removed now, or the pod is gone).</summary>
    private async Task<HashSet<string>> RemoveFinalizersAsync(IEnumerable<V1Pod> pods, CancellationToken cancellationToken)
    {
        var released = new HashSet<string>(StringComparer.Ordinal);
        Exception? failure = null;
        foreach (V1Pod pod in pods)
        {
            int index = pod.Metadata.Finalizers?.IndexOf(JobSync.TrackingFinalizer) ?? -1;
            if (index < 0)
            {
                released.Add(pod.Metadata.Uid);
                continue;
            }

            // A JSON patch that tests the entry it removes, so a finalizer list changed meanwhile fails instead of losing another finalizer.
            string path = "/metadata/finalizers/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // The last finalizer takes the list with it, as upstream's omitempty would: no "finalizers: []" left behind.
            string removed = pod.Metadata.Finalizers?.Count == 1 ? "/metadata/finalizers" : path;
            string patch = "[{\"op\":\"test\",\"path\":\"" + path + "\",\"value\":\"" + JobSync.TrackingFinalizer + "\"},{\"op\":\"remove\",\"path\":\"" + removed + "\"}]";
            try
            {
                _finalizerRemovals[pod.Metadata.Uid] = true;
                await _client.CoreV1.PatchNamespacedPodAsync(new V1Patch(patch, V1Patch.PatchType.JsonPatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                released.Add(pod.Metadata.Uid);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                _finalizerRemovals.TryRemove(pod.Metadata.Uid, out _);
                released.Add(pod.Metadata.Uid);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _finalizerRemovals.TryRemove(pod.Metadata.Uid, out _);
                failure ??= e;
            }
        }

        if (failure is not null)
        {
            throw new InvalidOperationException("Removing the job-tracking finalizer failed for some pods.", failure);
        }

        return released;
    }

    private async Task CreatePodsAsync(string key, V1Job job, List<int?> indexes, CancellationToken cancellationToken)
    {
        _expectations.ExpectCreations(key, indexes.Count);
        LogCreating(_logger, job.Metadata.NamespaceProperty, job.Metadata.Name, indexes.Count);

        // Slow start, as the ReplicaSet controller: a template the server rejects fails once, not many times.
        int done = 0;
        for (int batch = 1; done < indexes.Count; batch *= 2)
        {
            int size = Math.Min(batch, indexes.Count - done);
            Task[] creates = [.. indexes.Skip(done).Take(size).Select(index => CreatePodAsync(key, job, index, cancellationToken))];
            try
            {
                await Task.WhenAll(creates).ConfigureAwait(false);
            }
            catch (Exception)
            {
                for (int i = done + size; i < indexes.Count; i++)
                {
                    _expectations.CreationFailed(key);
                }

                throw;
            }

            done += size;
        }
    }

    private async Task CreatePodAsync(string key, V1Job job, int? index, CancellationToken cancellationToken)
    {
        try
        {
            V1Pod created = await _client.CoreV1.CreateNamespacedPodAsync(JobSync.NewPod(job, index), job.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            _events.Record(job, EventTypes.Normal, "SuccessfulCreate", "Created pod: " + created.Metadata.Name);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _expectations.CreationFailed(key);
            _events.Record(job, EventTypes.Warning, "FailedCreate", "Error creating: " + ErrorMessage(e));
            throw;
        }
    }

    private async Task DeletePodsAsync(string key, V1Job job, List<V1Pod> pods, CancellationToken cancellationToken)
    {
        if (pods.Count == 0)
        {
            return;
        }

        _expectations.ExpectDeletions(key, pods.Select(ObjectKeys.Of));
        LogDeleting(_logger, job.Metadata.NamespaceProperty, job.Metadata.Name, pods.Count);
        await Task.WhenAll(pods.Select(async pod =>
        {
            try
            {
                await _client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                _events.Record(job, EventTypes.Normal, "SuccessfulDelete", "Deleted pod: " + pod.Metadata.Name);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                _expectations.DeletionObserved(key, ObjectKeys.Of(pod));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The informer will never report this delete; stop waiting for it.
                _expectations.DeletionObserved(key, ObjectKeys.Of(pod));
                _events.Record(job, EventTypes.Warning, "FailedDelete", "Error deleting: " + ErrorMessage(e));
                throw;
            }
        })).ConfigureAwait(false);
    }

    // A deleted Job's pods may see no further event of their own: queue each one still holding our finalizer.
    private void ReleasePodsOf(V1Job job)
    {
        if (_pods is null || job.Metadata?.Uid is not { } uid)
        {
            return;
        }

        foreach (V1Pod pod in _pods.Cache.ByIndex(CacheIndexers.OwnerUid, uid).Where(JobSync.HasTrackingFinalizer))
        {
            Queue.Add(OrphanPrefix + ObjectKeys.Of(pod));
        }
    }

    private void OnPodAdd(V1Pod pod)
    {
        if (ControllingJob(pod) is { } job)
        {
            string key = ObjectKeys.Of(job);
            if (pod.Metadata.DeletionTimestamp is null)
            {
                _expectations.CreationObserved(key);
            }
            else
            {
                _expectations.DeletionObserved(key, ObjectKeys.Of(pod));
            }

            Queue.Add(key);
        }
        else if (JobSync.HasTrackingFinalizer(pod))
        {
            Queue.Add(OrphanPrefix + ObjectKeys.Of(pod));
        }
    }

    private void OnPodUpdate(V1Pod old, V1Pod pod)
    {
        if (!JobSync.HasTrackingFinalizer(pod))
        {
            _finalizerRemovals.TryRemove(pod.Metadata.Uid, out _);
        }

        if (pod.Metadata.DeletionTimestamp is not null && old.Metadata?.DeletionTimestamp is null && ControllingJob(pod) is { } deleting)
        {
            _expectations.DeletionObserved(ObjectKeys.Of(deleting), ObjectKeys.Of(pod));
        }

        if (ControllingJob(pod) is { } job)
        {
            Queue.Add(ObjectKeys.Of(job));
        }
        else if (JobSync.HasTrackingFinalizer(pod))
        {
            Queue.Add(OrphanPrefix + ObjectKeys.Of(pod));
        }
    }

    private void OnPodDelete(V1Pod pod)
    {
        _finalizerRemovals.TryRemove(pod.Metadata?.Uid ?? string.Empty, out _);
        if (ControllingJob(pod) is { } job)
        {
            string key = ObjectKeys.Of(job);
            _expectations.DeletionObserved(key, ObjectKeys.Of(pod));
            Queue.Add(key);
        }
    }

    private V1Job? ControllingJob(V1Pod pod)
    {
        V1OwnerReference? owner = PodControl.ControllerOf(pod.Metadata);
        if (owner is not { Kind: "Job" } || _jobs is null)
        {
            return null;
        }

        V1Job? job = _jobs.Cache.Get(pod.Metadata.NamespaceProperty, owner.Name);
        return job?.Metadata?.Uid == owner.Uid ? job : null;
    }

    // The API's own words (the Status message), as upstream's events quote the error.
    internal static string ErrorMessage(Exception e)
    {
        if (e is HttpOperationException { Response.Content: { Length: > 0 } content })
        {
            try
            {
                return SkiffJson.FromBytes<V1Status>(Encoding.UTF8.GetBytes(content))?.Message ?? content;
            }
            catch (System.Text.Json.JsonException)
            {
                return content;
            }
        }

        return e.Message;
    }
}
