using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.NodeIpam;

/// <summary>
/// Upstream's node IPAM controller with the range allocator: every Node without <c>spec.podCIDR</c> gets the next free
/// subnet of the cluster CIDR (written to <c>spec.podCIDR</c> and <c>spec.podCIDRs</c>), which the node's CNI config uses.
/// Before the first allocation of a leadership term, the CIDRs existing nodes already hold are marked taken, so a restart
/// never hands one out twice. A deleted node's CIDR is freed. When none is left, the node gets a CIDRNotAvailable event and is
/// tried again when a CIDR is freed.
/// </summary>
public sealed partial class NodeIpamController : Controller
{
    /// <summary>How often a node that found the range exhausted is tried again, besides whenever a node is deleted.</summary>
    public static readonly TimeSpan ExhaustedRetry = TimeSpan.FromSeconds(30);

    private readonly IKubernetes _client;
    private readonly IEventRecorder _events;
    private readonly ILogger<NodeIpamController> _logger;
    private readonly IPNetwork _clusterCidr;
    private readonly int _maskSize;
    private readonly Lock _lock = new();
    private SharedInformer<V1Node>? _nodes;
    private CidrSet? _cidrs;
    private Dictionary<string, IPNetwork> _assigned = new(StringComparer.Ordinal);
    private bool _initialized;

    public NodeIpamController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        IOptions<ControlPlaneOptions> options,
        TimeProvider timeProvider,
        ILogger<NodeIpamController> logger,
        IEventRecorder? events = null)
        : base("nodeipam", 1, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _logger = logger;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("cidrAllocator");
        _clusterCidr = options.Value.ClusterCidr;
        _maskSize = options.Value.EffectiveNodeCidrMaskSize;
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        // Each term starts from what the nodes say: the set is rebuilt from the cache before the first allocation.
        lock (_lock)
        {
            _cidrs = new CidrSet(_clusterCidr, _maskSize);
            _assigned = new Dictionary<string, IPNetwork>(StringComparer.Ordinal);
            _initialized = false;
        }

        _nodes = informers.Nodes();
        _nodes.AddEventHandler(new InformerHandler<V1Node>(
            onAdd: Enqueue,
            onUpdate: (old, node) =>
            {
                if (old.Spec?.PodCIDR != node.Spec?.PodCIDR || string.IsNullOrEmpty(node.Spec?.PodCIDR))
                {
                    Enqueue(node);
                }
            },
            onDelete: Enqueue));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_nodes is null || _cidrs is null)
        {
            return;
        }

        CidrSet cidrs = _cidrs;
        EnsureInitialized(_nodes, cidrs);
        V1Node? node = _nodes.Cache.Get(null, key);
        if (node is null || node.Metadata?.DeletionTimestamp is not null)
        {
            Release(key, cidrs);
            return;
        }

        if (TryParse(node.Spec?.PodCIDR, out IPNetwork existing))
        {
            Remember(key, existing, cidrs);
            return;
        }

        IPNetwork cidr;
        lock (_lock)
        {
            // Allocated earlier but the cache has not shown the patch yet (or the patch failed): write the same one again.
            if (!_assigned.TryGetValue(key, out cidr))
            {
                if (!cidrs.TryAllocateNext(out cidr))
                {
                    LogExhausted(_logger, key, _clusterCidr, cidrs.Capacity);
                    _events.Record(node, EventTypes.Normal, "CIDRNotAvailable", "Node " + key + " status is now: CIDRNotAvailable");
                    Queue.AddAfter(key, ExhaustedRetry);
                    return;
                }

                _assigned[key] = cidr;
            }
        }

        try
        {
            await PatchPodCidrAsync(key, cidr, cancellationToken).ConfigureAwait(false);
            LogAllocated(_logger, key, cidr);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Deleted meanwhile: its delete event frees the CIDR.
            Release(key, cidrs);
        }
    }

    // Marks what existing nodes hold before anything is handed out; the workers start only after the cache synced.
    private void EnsureInitialized(SharedInformer<V1Node> nodes, CidrSet cidrs)
    {
        lock (_lock)
        {
            if (_initialized)
            {
                return;
            }

            foreach (V1Node node in nodes.Cache.List())
            {
                if (TryParse(node.Spec?.PodCIDR, out IPNetwork cidr))
                {
                    if (cidrs.Occupy(cidr))
                    {
                        _assigned[node.Metadata.Name] = cidr;
                    }
                    else
                    {
                        LogOutsideRange(_logger, node.Metadata.Name, cidr, _clusterCidr);
                    }
                }
            }

            _initialized = true;
        }
    }

    private void Remember(string key, IPNetwork cidr, CidrSet cidrs)
    {
        lock (_lock)
        {
            if (_assigned.TryGetValue(key, out IPNetwork previous))
            {
                if (previous == cidr)
                {
                    return;
                }

                // Someone else set a different CIDR than the one allocated here: keep theirs, free ours.
                cidrs.Release(previous);
            }

            if (cidrs.Occupy(cidr))
            {
                _assigned[key] = cidr;
            }
        }
    }

    private void Release(string key, CidrSet cidrs)
    {
        bool freed;
        lock (_lock)
        {
            freed = _assigned.Remove(key, out IPNetwork cidr) && cidrs.Release(cidr);
            if (freed)
            {
                LogReleased(_logger, key, cidr);
            }
        }

        if (freed && _nodes is not null)
        {
            // Nodes that found the range exhausted wait for exactly this.
            foreach (V1Node waiting in _nodes.Cache.List().Where(n => string.IsNullOrEmpty(n.Spec?.PodCIDR)))
            {
                Enqueue(waiting);
            }
        }
    }

    private async Task PatchPodCidrAsync(string name, IPNetwork cidr, CancellationToken cancellationToken)
    {
        string text = cidr.ToString();
        var patch = new JsonObject
        {
            ["spec"] = new JsonObject { ["podCIDR"] = text, ["podCIDRs"] = new JsonArray(text) },
        };
        await _client.CoreV1.PatchNodeAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), name, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static bool TryParse(string? text, out IPNetwork cidr)
    {
        cidr = default;
        return !string.IsNullOrEmpty(text) && IPNetwork.TryParse(text, out cidr);
    }
}
