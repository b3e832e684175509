using k8s;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Network;

/// <summary>
/// The node's part of the pod network (flannel's role): before containerd starts, the CNI bridge with the node's gateway
/// address, IP forwarding, bridged traffic through iptables, and masquerading of pod traffic that leaves the cluster CIDR;
/// while running, a route (host-gw) or VXLAN entries to every other node's pod CIDR, kept in step with the Node objects;
/// on stop, everything it added except the bridge its pods still use.
/// </summary>
public sealed partial class PodNetwork
{
    /// <summary>Node annotation with this node's VXLAN device MAC address (flannel publishes the same as backend-data).</summary>
    public const string VtepMacAnnotation = "skiff.io/vtep-mac";

    private readonly IKubernetes _client;
    private readonly PodNetworkOptions _options;
    private readonly ILogger<PodNetwork> _logger;
    private readonly TimeProvider _time;

    public PodNetwork(IKubernetes client, PodNetworkOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _client = client;
        _options = options;
        _time = time;
        _logger = loggerFactory.CreateLogger<PodNetwork>();
    }

    public PodNetworkOptions Options => _options;

    /// <summary>Creates the bridge with its gateway address, sysctls and the masquerade rules; idempotent.</summary>
    public Task PrepareAsync(CancellationToken cancellationToken) => throw new NotImplementedException("helper: podnet");

    /// <summary>Keeps routes/VXLAN entries to the other nodes' pod CIDRs until cancelled, then removes what it added.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => throw new NotImplementedException("helper: podnet");
}
