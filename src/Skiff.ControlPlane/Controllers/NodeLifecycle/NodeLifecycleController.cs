using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.NodeLifecycle;

/// <summary>
/// Upstream's node lifecycle controller: every node is looked at every <see cref="ControlPlaneOptions.NodeMonitorPeriod"/>.
/// A node whose kubelet has neither renewed its Lease in <c>kube-node-lease</c> nor posted a new Ready heartbeat for
/// <see cref="ControlPlaneOptions.NodeMonitorGracePeriod"/> gets its conditions set to Unknown, and the pods on it are marked
/// not Ready. The node's taints follow its conditions: NoSchedule taints for the scheduler (TaintNodesByCondition) and the
/// not-ready/unreachable NoExecute taints that the <see cref="TaintEvictionController"/> evicts pods for, removed when the
/// node is Ready again.
/// </summary>
public sealed partial class NodeLifecycleController : Controller
{
    public const string NodeLeaseNamespace = "kube-node-lease";

    private readonly IKubernetes _client;
    private readonly IEventRecorder _events;
    private readonly ILogger<NodeLifecycleController> _logger;
    private readonly TimeSpan _monitorPeriod;
    private readonly TimeSpan _gracePeriod;
    private ConcurrentDictionary<string, HealthRecord> _health = new(StringComparer.Ordinal);
    private SharedInformer<V1Node>? _nodes;
    private SharedInformer<V1Lease>? _leases;
    private SharedInformer<V1Pod>? _pods;

    public NodeLifecycleController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        IOptions<ControlPlaneOptions> options,
        TimeProvider timeProvider,
        ILogger<NodeLifecycleController> logger,
        IEventRecorder? events = null)
        : base("nodelifecycle", 2, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _logger = logger;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("node-controller");
        _monitorPeriod = options.Value.NodeMonitorPeriod;
        _gracePeriod = options.Value.NodeMonitorGracePeriod;
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        // What was observed belongs to one term: a new leader gives every node a fresh grace period, as upstream's restart does.
        _health = new ConcurrentDictionary<string, HealthRecord>(StringComparer.Ordinal);
        _nodes = informers.Nodes();
        _leases = informers.Leases();
        _pods = informers.Pods();
        _nodes.AddEventHandler(EnqueueHandler<V1Node>());
        _leases.AddEventHandler(new InformerHandler<V1Lease>(onAdd: EnqueueLeaseNode, onUpdate: (_, lease) => EnqueueLeaseNode(lease)));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_nodes is null || _leases is null || _pods is null)
        {
            return;
        }

        DateTime now = Truncate(TimeProvider.GetUtcNow().UtcDateTime);
        if (!_nodes.Cache.TryGet(key, out V1Node? node))
        {
            if (_health.TryRemove(key, out HealthRecord? gone))
            {
                _events.Record(gone.Node, EventTypes.Normal, "RemovingNode", "Node " + key + " event: Removing Node " + key + " from Controller");
            }

            return;
        }

        HealthRecord health = Observe(key, node, _leases.Cache.Get(NodeLeaseNamespace, key), now);
        try
        {
            await MonitorAsync(key, node, health, _pods, now, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // The kubelet (or this controller's previous pass, not yet in the cache) wrote the node meanwhile; its watch event
            // brings the node back here.
            LogConflict(_logger, key);
        }

        // Nothing else happens when a kubelet merely goes silent: look again after the monitor period.
        Queue.AddAfter(key, _monitorPeriod);
    }

    private async Task MonitorAsync(string key, V1Node node, HealthRecord health, SharedInformer<V1Pod> pods, DateTime now, CancellationToken cancellationToken)
    {
        V1Node current = node;
        string? readyBefore = NodeHealth.ReadyStatus(node);
        if (TimeProvider.GetUtcNow().UtcDateTime > health.Probe + _gracePeriod)
        {
            V1Node unknown = ReplicaSetSync.Clone(node);
            if (NodeHealth.MarkUnknown(unknown, now))
            {
                LogNodeUnknown(_logger, key, health.Probe, _gracePeriod);
                current = await _client.CoreV1.ReplaceNodeStatusAsync(unknown, key, cancellationToken: cancellationToken).ConfigureAwait(false);

                // The heartbeat written here (the creation time, for a node that never posted) is not a sign of life.
                _health[key] = health with { Node = current, Heartbeat = NodeHealth.Condition(current, NodeHealth.Ready)?.LastHeartbeatTime };
                if (readyBefore == "True")
                {
                    _events.Record(current, EventTypes.Normal, "NodeNotReady", "Node " + key + " status is now: NodeNotReady");
                }
            }
        }

        current = await SyncTaintsAsync(key, current, now, cancellationToken).ConfigureAwait(false);
        if (NodeHealth.ReadyStatus(current) == "Unknown")
        {
            await MarkPodsNotReadyAsync(key, pods, now, cancellationToken).ConfigureAwait(false);
        }
    }

    // Upstream's probe timestamp: when this controller last saw the kubelet alive (a newer Lease renewTime or a changed Ready
    // heartbeat), on its own clock, so clock skew between node and control plane does not matter.
    private HealthRecord Observe(string key, V1Node node, V1Lease? lease, DateTime now)
    {
        V1NodeCondition? ready = NodeHealth.Condition(node, NodeHealth.Ready);
        bool added = false;
        HealthRecord health = _health.GetOrAdd(key, _ =>
        {
            added = true;
            // A node that never posted Ready counts from its creation; one seen Ready for the first time from now.
            DateTime probe = ready is null ? node.Metadata?.CreationTimestamp ?? now : now;
            return new HealthRecord(node, probe, ready?.LastHeartbeatTime, null);
        });
        if (added)
        {
            _events.Record(node, EventTypes.Normal, "RegisteredNode", "Node " + key + " event: Registered Node " + key + " in Controller");
        }

        DateTime probeAt = health.Probe;
        DateTime? heartbeat = health.Heartbeat;
        DateTime? renewed = health.LeaseRenewTime;
        if (!added && ready?.LastHeartbeatTime != health.Heartbeat)
        {
            heartbeat = ready?.LastHeartbeatTime;
            probeAt = now;
        }

        if (lease?.Spec?.RenewTime is DateTime renewTime && (renewed is null || renewTime > renewed))
        {
            renewed = renewTime;
            probeAt = now;
        }

        health = new HealthRecord(node, probeAt, heartbeat, renewed);
        _health[key] = health;
        return health;
    }

    private async Task<V1Node> SyncTaintsAsync(string key, V1Node node, DateTime now, CancellationToken cancellationToken)
    {
        IEnumerable<V1Node> all = (_nodes?.Cache.List() ?? []).Select(n => n).Select(n => n.Metadata?.Name == key ? node : n);
        NoExecuteTainting mode = NodeHealth.NoExecuteMode(node, all);
        List<V1Taint> desired = NodeHealth.DesiredTaints(node, mode, now);
        if (NodeHealth.SameTaints(node.Spec?.Taints, desired))
        {
            return node;
        }

        V1Node update = ReplicaSetSync.Clone(node);
        update.Spec ??= new V1NodeSpec();
        // No taints is no field at all, as upstream's omitempty writes it (kubectl shows [] otherwise).
        update.Spec.Taints = desired.Count == 0 ? null : desired;
        string managed = string.Join(',', desired.Where(Taints.IsManaged).Select(t => t.Key + ":" + t.Effect));
        LogTaints(_logger, key, managed, mode);
        return await _client.CoreV1.ReplaceNodeAsync(update, key, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    // Upstream's MarkPodsNotReady: nothing on an unreachable node can be trusted to serve, so Services stop sending to it.
    private async Task MarkPodsNotReadyAsync(string nodeName, SharedInformer<V1Pod> pods, DateTime now, CancellationToken cancellationToken)
    {
        foreach (V1Pod pod in pods.Cache.ByIndex(CacheIndexers.NodeName, nodeName))
        {
            if (pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready") is not { Status: "True" })
            {
                continue;
            }

            V1Pod update = ReplicaSetSync.Clone(pod);
            V1PodCondition ready = update.Status.Conditions.First(c => c.Type == "Ready");
            ready.Status = "False";
            ready.LastTransitionTime = now;
            try
            {
                await _client.CoreV1.ReplaceNamespacedPodStatusAsync(update, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                LogPodNotReady(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, nodeName);
                _events.Record(pod, EventTypes.Warning, "NodeNotReady", "Node is not ready");
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
            {
                // Gone, or changed since the cache saw it: the next monitor pass looks again.
            }
        }
    }

    private void EnqueueLeaseNode(V1Lease lease)
    {
        if (lease.Metadata?.NamespaceProperty == NodeLeaseNamespace && !string.IsNullOrEmpty(lease.Metadata.Name))
        {
            Queue.Add(lease.Metadata.Name);
        }
    }

    private static DateTime Truncate(DateTime time) => time.AddTicks(-(time.Ticks % TimeSpan.TicksPerSecond));

    /// <summary>What was last seen of one node: the node, when it was last seen alive, and the heartbeat values seen.</summary>
    private sealed record HealthRecord(V1Node Node, DateTime Probe, DateTime? Heartbeat, DateTime? LeaseRenewTime);
}
