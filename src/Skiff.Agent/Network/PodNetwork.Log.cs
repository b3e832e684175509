using System.Net;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Network;

public sealed partial class PodNetwork
{
    [LoggerMessage(EventId = 8200, Level = LogLevel.Information,
        Message = "Pod network prepared: bridge {Bridge} at {Gateway}/{Prefix}, backend {Backend}, pod MTU {Mtu} (0: the default)")]
    private static partial void LogPrepared(ILogger logger, string bridge, IPAddress gateway, int prefix, PodNetworkBackend backend, int mtu);

    [LoggerMessage(EventId = 8201, Level = LogLevel.Information, Message = "Created the CNI bridge {Bridge}")]
    private static partial void LogBridgeCreated(ILogger logger, string bridge);

    [LoggerMessage(EventId = 8202, Level = LogLevel.Warning,
        Message = "Could not set net.bridge.bridge-nf-call-iptables (is br_netfilter loaded?): {Reason}; traffic between this node's pods bypasses iptables")]
    private static partial void LogBridgeNetfilterMissing(ILogger logger, string reason);

    [LoggerMessage(EventId = 8203, Level = LogLevel.Information, Message = "Removed stale address {Address} from {Device}")]
    private static partial void LogStaleAddressRemoved(ILogger logger, string address, string device);

    [LoggerMessage(EventId = 8204, Level = LogLevel.Information,
        Message = "Pod network following the nodes: node {Node} at {NodeIp} with pod CIDR {PodCidr}, backend {Backend}")]
    private static partial void LogRunning(ILogger logger, string node, IPAddress nodeIp, IPNetwork podCidr, PodNetworkBackend backend);

    [LoggerMessage(EventId = 8205, Level = LogLevel.Information, Message = "Pods of node {Node} ({PodCidr}) now reached by {Kind} through {NodeIp}")]
    private static partial void LogPeerAdded(ILogger logger, string node, IPNetwork podCidr, PeerRouteKind kind, IPAddress nodeIp);

    [LoggerMessage(EventId = 8206, Level = LogLevel.Information, Message = "Removed the {Kind} entries for node {Node}'s pod CIDR {PodCidr}")]
    private static partial void LogPeerRemoved(ILogger logger, string node, IPNetwork podCidr, PeerRouteKind kind);

    [LoggerMessage(EventId = 8207, Level = LogLevel.Warning, Message = "Could not write the entries for node {Node}'s pod CIDR {PodCidr}; retrying")]
    private static partial void LogEntryFailed(ILogger logger, Exception exception, string node, IPNetwork podCidr);

    [LoggerMessage(EventId = 8208, Level = LogLevel.Information, Message = "Created VXLAN device {Device} (VNI {Vni}, UDP {Port}) over {Underlay}")]
    private static partial void LogVxlanCreated(ILogger logger, string device, int vni, int port, string underlay);

    [LoggerMessage(EventId = 8209, Level = LogLevel.Information, Message = "VXLAN device {Device} had other parameters; making it again")]
    private static partial void LogVxlanReplaced(ILogger logger, string device);

    [LoggerMessage(EventId = 8210, Level = LogLevel.Warning, Message = "No device holds the node address {NodeIp} (or it is loopback): no VXLAN, host-gw peers only")]
    private static partial void LogNoUnderlay(ILogger logger, IPAddress nodeIp);

    [LoggerMessage(EventId = 8211, Level = LogLevel.Information, Message = "Published VTEP MAC {Mac} on node {Node}")]
    private static partial void LogVtepPublished(ILogger logger, string mac, string node);

    [LoggerMessage(EventId = 8212, Level = LogLevel.Warning, Message = "Could not publish the VTEP MAC on node {Node}: {Reason}; retrying on the next change")]
    private static partial void LogVtepPublishFailed(ILogger logger, string node, string reason);

    [LoggerMessage(EventId = 8213, Level = LogLevel.Information, Message = "Removed route {Destination} that no node explains (left by an earlier run)")]
    private static partial void LogStaleRouteRemoved(ILogger logger, string destination);

    [LoggerMessage(EventId = 8214, Level = LogLevel.Warning, Message = "Pod network resync failed; retrying in a few seconds")]
    private static partial void LogResyncFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 8215, Level = LogLevel.Information, Message = "Pod network stopped: routes, VXLAN device and iptables chains removed (bridge {Bridge} kept)")]
    private static partial void LogCleanedUp(ILogger logger, string bridge);

    [LoggerMessage(EventId = 8216, Level = LogLevel.Warning, Message = "Pod network cleanup did not finish")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 8217, Level = LogLevel.Warning,
        Message = "This host routes the pod CIDR {PodCidr} through {Device}, not the bridge {Bridge}: another network on this host uses the same addresses, so pods get addresses this host cannot reach; choose another --cluster-cidr or remove that network")]
    private static partial void LogPodCidrRoutedElsewhere(ILogger logger, IPNetwork podCidr, string device, string bridge);
}
