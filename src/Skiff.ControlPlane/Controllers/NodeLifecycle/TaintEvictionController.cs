using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.NodeLifecycle;

/// <summary>
/// Upstream's taint eviction controller (the "taint manager"): a pod bound to a node with NoExecute taints is deleted at once
/// when it does not tolerate one of them, after tolerationSeconds (counted from the taint's timeAdded) when it tolerates them
/// for a while, and never when it tolerates them without a limit. Before the delete, the pod gets the DisruptionTarget
/// condition (reason DeletionByTaintManager) and a TaintManagerEviction event. The delete is an ordinary graceful one: the
/// pod is Terminating until its kubelet (or, for a node that is gone, the pod garbage collector) finishes it.
/// </summary>
public sealed partial class TaintEvictionController : Controller
{
    private readonly IKubernetes _client;
    private readonly IEventRecorder _events;
    private readonly ILogger<TaintEvictionController> _logger;

    // First sight of NoExecute taints written without timeAdded (kubectl taint does not set it), keyed by node and taint.
    private readonly ConcurrentDictionary<string, DateTime> _firstSeen = new(StringComparer.Ordinal);

    // Pods with an eviction scheduled for later, so that a cancelled one gets upstream's "Cancelling deletion" event.
    private readonly ConcurrentDictionary<string, DateTime> _scheduled = new(StringComparer.Ordinal);
    private SharedInformer<V1Pod>? _pods;
    private SharedInformer<V1Node>? _nodes;

    public TaintEvictionController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        TimeProvider timeProvider,
        ILogger<TaintEvictionController> logger,
        IEventRecorder? events = null,
        int workers = 4)
        : base("taint-eviction", workers, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = logger;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("taint-eviction-controller");
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _pods = informers.Pods();
        _nodes = informers.Nodes();
        _pods.AddEventHandler(new InformerHandler<V1Pod>(
            onAdd: EnqueueBound,
            onUpdate: (old, pod) =>
            {
                // Only a new node or new tolerations change the verdict; status updates do not.
                if (old.Spec?.NodeName != pod.Spec?.NodeName || !SameTolerations(old.Spec?.Tolerations, pod.Spec?.Tolerations))
                {
                    EnqueueBound(pod);
                }
            },
            onDelete: EnqueueBound));
        _nodes.AddEventHandler(new InformerHandler<V1Node>(
            onAdd: node =>
            {
                if (TaintEviction.NoExecuteTaints(node).Count > 0)
                {
                    EnqueuePodsOn(node);
                }
            },
            onUpdate: (old, node) =>
            {
                if (!NodeHealth.SameTaints(TaintEviction.NoExecuteTaints(old), TaintEviction.NoExecuteTaints(node)))
                {
                    EnqueuePodsOn(node);
                }
            }));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_pods is null || _nodes is null || !_pods.Cache.TryGet(key, out V1Pod? pod)
            || pod.Metadata.DeletionTimestamp is not null || string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            _scheduled.TryRemove(key, out _);
            return;
        }

        V1Node? node = _nodes.Cache.Get(null, pod.Spec.NodeName);
        List<V1Taint> taints = TaintEviction.NoExecuteTaints(node);
        DateTime now = TimeProvider.GetUtcNow().UtcDateTime;
        DateTime? deadline = node is null || taints.Count == 0
            ? null
            : TaintEviction.Deadline(taints, pod.Spec.Tolerations, t => AddedAt(node, t, now), now);
        if (deadline is null)
        {
            if (_scheduled.TryRemove(key, out _))
            {
                _events.Record(pod, EventTypes.Normal, "TaintManagerEviction", "Cancelling deletion of Pod " + key);
            }

            return;
        }

        if (deadline > now)
        {
            // Tolerated for now; the node's next taint change re-evaluates sooner if it matters.
            _scheduled[key] = deadline.Value;
            Queue.AddAfter(key, deadline.Value - now);
            return;
        }

        _scheduled.TryRemove(key, out _);
        await EvictAsync(pod, now, cancellationToken).ConfigureAwait(false);
    }

    private async Task EvictAsync(V1Pod pod, DateTime now, CancellationToken cancellationToken)
    {
        string ns = pod.Metadata.NamespaceProperty;
        string name = pod.Metadata.Name;
        LogEvicting(_logger, ns, name, pod.Spec.NodeName);
        _events.Record(pod, EventTypes.Normal, "TaintManagerEviction", "Marking for deletion Pod " + ns + "/" + name);
        try
        {
            if (pod.Status?.Conditions?.Any(c => c.Type == "DisruptionTarget" && c.Status == "True") != true)
            {
                V1Pod update = ReplicaSetSync.Clone(pod);
                update.Status ??= new V1PodStatus();
                update.Status.Conditions = [.. (update.Status.Conditions ?? []).Where(c => c.Type != "DisruptionTarget")];
                update.Status.Conditions.Add(new V1PodCondition
                {
                    Type = "DisruptionTarget",
                    Status = "True",
                    Reason = "DeletionByTaintManager",
                    Message = "Taint manager: deleting due to NoExecute taint",
                    LastTransitionTime = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond)),
                });
                await _client.CoreV1.ReplaceNamespacedPodStatusAsync(update, name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            await _client.CoreV1.DeleteNamespacedPodAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone.
        }
    }

    private DateTime AddedAt(V1Node node, V1Taint taint, DateTime now)
    {
        if (taint.TimeAdded is DateTime added)
        {
            return added;
        }

        string id = string.Join('\0', node.Metadata?.Uid, taint.Key, taint.Value, taint.Effect);
        return _firstSeen.GetOrAdd(id, now);
    }

    private void EnqueueBound(V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            Enqueue(pod);
        }
    }

    private void EnqueuePodsOn(V1Node node)
    {
        if (_pods is null)
        {
            return;
        }

        foreach (V1Pod pod in _pods.Cache.ByIndex(CacheIndexers.NodeName, node.Metadata.Name))
        {
            Enqueue(pod);
        }
    }

    private static bool SameTolerations(IList<V1Toleration>? a, IList<V1Toleration>? b)
    {
        a ??= [];
        b ??= [];
        return a.Count == b.Count && a.Zip(b).All(p =>
            p.First.Key == p.Second.Key && p.First.OperatorProperty == p.Second.OperatorProperty && p.First.Value == p.Second.Value
            && p.First.Effect == p.Second.Effect && p.First.TolerationSeconds == p.Second.TolerationSeconds);
    }
}
