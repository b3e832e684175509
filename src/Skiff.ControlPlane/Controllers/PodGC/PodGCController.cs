using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.PodGC;

/// <summary>
/// Upstream's pod garbage collector (pkg/controller/podgc), a periodic sweep rather than a per-object reconcile. Every
/// <see cref="DefaultPeriod"/> it force-deletes (grace period 0)
/// <list type="bullet">
/// <item>the oldest terminated (Succeeded or Failed) pods beyond <see cref="ControlPlaneOptions.TerminatedPodGCThreshold"/>;</item>
/// <item>terminating pods on a NotReady node tainted <c>node.kubernetes.io/out-of-service</c>;</item>
/// <item>pods bound to a node that no longer exists: the node must have been missing from the cache for
/// <see cref="DefaultQuarantine"/> and a live GET must answer 404, so a node that is only late in the cache is safe; such a
/// pod first gets phase Failed and the DisruptionTarget condition (reason DeletionByPodGC);</item>
/// <item>unscheduled pods that are terminating.</item>
/// </list>
/// A pod that is not yet terminal is marked Failed through pods/status before it is deleted, as upstream does.
/// </summary>
public sealed partial class PodGCController : Controller
{
    public const string DisruptionTarget = "DisruptionTarget";
    public const string DeletionByPodGC = "DeletionByPodGC";
    public const string OutOfServiceTaint = "node.kubernetes.io/out-of-service";

    /// <summary>Upstream's gcCheckPeriod.</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromSeconds(20);

    /// <summary>Upstream's quarantineTime: how long a node must be missing before its pods are taken as orphans.</summary>
    public static readonly TimeSpan DefaultQuarantine = TimeSpan.FromSeconds(40);

    private const string SweepKey = "podgc";

    private readonly IKubernetes _client;
    private readonly ILogger<PodGCController> _logger;
    private readonly int _terminatedThreshold;
    private readonly TimeSpan _period;
    private readonly TimeSpan _quarantine;
    // Node name → when it was first seen missing. Only the single worker touches it.
    private readonly Dictionary<string, DateTimeOffset> _missingNodes = new(StringComparer.Ordinal);
    private SharedInformer<V1Pod>? _pods;
    private SharedInformer<V1Node>? _nodes;

    public PodGCController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        IOptions<ControlPlaneOptions> options,
        TimeProvider timeProvider,
        ILogger<PodGCController> logger,
        TimeSpan? period = null,
        TimeSpan? quarantine = null)
        : base("pod-garbage-collector", 1, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _logger = logger;
        _terminatedThreshold = options.Value.TerminatedPodGCThreshold;
        _period = period ?? DefaultPeriod;
        _quarantine = quarantine ?? DefaultQuarantine;
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _pods = informers.Pods();
        _nodes = informers.Nodes();
        _missingNodes.Clear();
        Queue.Add(SweepKey);
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            IReadOnlyList<V1Pod> pods = _pods?.Cache.List() ?? [];
            if (_terminatedThreshold > 0)
            {
                await GcTerminatedAsync(pods, cancellationToken).ConfigureAwait(false);
            }

            await GcTerminatingOutOfServiceAsync(pods, cancellationToken).ConfigureAwait(false);
            await GcOrphanedAsync(pods, cancellationToken).ConfigureAwait(false);
            await GcUnscheduledTerminatingAsync(pods, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Queue.AddAfter(SweepKey, _period);
        }
    }

    /// <summary>Deletes the terminated pods beyond the threshold: evicted ones first, then the oldest.</summary>
    private async Task GcTerminatedAsync(IReadOnlyList<V1Pod> pods, CancellationToken cancellationToken)
    {
        List<V1Pod> terminated = [.. pods.Where(IsTerminated)];
        int excess = terminated.Count - _terminatedThreshold;
        if (excess <= 0)
        {
            return;
        }

        LogTerminatedOverThreshold(_logger, terminated.Count, _terminatedThreshold, excess);
        IEnumerable<V1Pod> victims = terminated
            .OrderBy(p => p.Status?.Reason == "Evicted" ? 0 : 1)
            .ThenBy(p => p.Metadata?.CreationTimestamp ?? DateTime.MinValue)
            .ThenBy(p => ObjectKeys.Of(p), StringComparer.Ordinal)
            .Take(excess);
        foreach (V1Pod pod in victims)
        {
            await MarkFailedAndDeleteAsync(pod, condition: null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Terminating pods on a node that is NotReady and tainted out-of-service cannot finish there: force-delete them.</summary>
    private async Task GcTerminatingOutOfServiceAsync(IReadOnlyList<V1Pod> pods, CancellationToken cancellationToken)
    {
        foreach (V1Pod pod in pods.Where(p => p.Metadata?.DeletionTimestamp is not null && !IsTerminated(p) && !string.IsNullOrEmpty(p.Spec?.NodeName)))
        {
            if (_nodes?.Cache.Get(null, pod.Spec.NodeName) is { } node && !NodeReadiness.IsReady(node)
                && node.Spec?.Taints?.Any(t => t.Key == OutOfServiceTaint) == true)
            {
                LogOutOfService(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, pod.Spec.NodeName);
                await MarkFailedAndDeleteAsync(pod, condition: null, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Pods bound to a node that is gone (missing for the quarantine, and 404 live): deleted with DisruptionTarget.</summary>
    private async Task GcOrphanedAsync(IReadOnlyList<V1Pod> pods, CancellationToken cancellationToken)
    {
        DateTimeOffset now = TimeProvider.GetUtcNow();
        var missing = pods
            .Select(p => p.Spec?.NodeName)
            .OfType<string>()
            .Where(n => n.Length > 0 && _nodes?.Cache.Get(null, n) is null)
            .ToHashSet(StringComparer.Ordinal);
        foreach (string back in _missingNodes.Keys.Where(n => !missing.Contains(n)).ToList())
        {
            _missingNodes.Remove(back);
        }

        var deleted = new HashSet<string>(StringComparer.Ordinal);
        foreach (string node in missing)
        {
            if (!_missingNodes.TryGetValue(node, out DateTimeOffset since))
            {
                _missingNodes[node] = now;
                continue;
            }

            if (now - since < _quarantine)
            {
                continue;
            }

            if (await NodeExistsAsync(node, cancellationToken).ConfigureAwait(false))
            {
                // Only the cache was behind.
                _missingNodes.Remove(node);
                continue;
            }

            deleted.Add(node);
        }

        if (deleted.Count == 0)
        {
            return;
        }

        foreach (V1Pod pod in pods.Where(p => p.Spec?.NodeName is { } n && deleted.Contains(n)))
        {
            LogOrphaned(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, pod.Spec.NodeName);
            var condition = new V1PodCondition
            {
                Type = DisruptionTarget,
                Status = "True",
                Reason = DeletionByPodGC,
                Message = "PodGC: node no longer exists",
                LastTransitionTime = WholeSeconds(now),
            };
            await MarkFailedAndDeleteAsync(pod, condition, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A terminating pod that was never scheduled has no kubelet to finish it.</summary>
    private async Task GcUnscheduledTerminatingAsync(IReadOnlyList<V1Pod> pods, CancellationToken cancellationToken)
    {
        foreach (V1Pod pod in pods.Where(p => p.Metadata?.DeletionTimestamp is not null && string.IsNullOrEmpty(p.Spec?.NodeName)))
        {
            LogUnscheduledTerminating(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name);
            await MarkFailedAndDeleteAsync(pod, condition: null, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> NodeExistsAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CoreV1.ReadNodeAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// Marks a pod that is not terminal Failed (with <paramref name="condition"/> when given) through pods/status, then
    /// deletes it with grace period 0. A pod that is already gone is fine; other failures are logged and the next sweep
    /// tries again, so one pod cannot stop the rest.
    /// </summary>
    private async Task MarkFailedAndDeleteAsync(V1Pod pod, V1PodCondition? condition, CancellationToken cancellationToken)
    {
        string ns = pod.Metadata.NamespaceProperty;
        string name = pod.Metadata.Name;
        try
        {
            if (!IsTerminated(pod))
            {
                var status = new V1PodStatus { Phase = "Failed", Conditions = condition is null ? null : [condition] };
                var patch = new V1Patch(KubernetesJson.Serialize(new V1Pod { Status = status }), V1Patch.PatchType.StrategicMergePatch);
                await _client.CoreV1.PatchNamespacedPodStatusAsync(patch, name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            var options = new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } };
            await _client.CoreV1.DeleteNamespacedPodAsync(name, ns, options, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogForceDeleted(_logger, ns, name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Gone already, or replaced by a pod with the same name: nothing of ours to delete.
        }
        catch (HttpOperationException e)
        {
            LogDeleteFailed(_logger, ns, name, e);
        }
    }

    private static bool IsTerminated(V1Pod pod) => pod.Status?.Phase is "Succeeded" or "Failed";


    private static DateTime WholeSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}
