using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.NodeIpam;

public sealed partial class NodeIpamController
{
    [LoggerMessage(EventId = 6980, Level = LogLevel.Information, Message = "Allocated pod CIDR {Cidr} to node {Node}.")]
    private static partial void LogAllocated(ILogger logger, string node, System.Net.IPNetwork cidr);

    [LoggerMessage(EventId = 6981, Level = LogLevel.Information, Message = "Released pod CIDR {Cidr} of node {Node}.")]
    private static partial void LogReleased(ILogger logger, string node, System.Net.IPNetwork cidr);

    [LoggerMessage(EventId = 6982, Level = LogLevel.Warning, Message = "No pod CIDR left for node {Node}: all {Capacity} subnets of the cluster CIDR {ClusterCidr} are taken.")]
    private static partial void LogExhausted(ILogger logger, string node, System.Net.IPNetwork clusterCidr, int capacity);

    [LoggerMessage(EventId = 6983, Level = LogLevel.Warning, Message = "Node {Node} holds pod CIDR {Cidr}, which lies outside the cluster CIDR {ClusterCidr}; it is left alone.")]
    private static partial void LogOutsideRange(ILogger logger, string node, System.Net.IPNetwork cidr, System.Net.IPNetwork clusterCidr);
}
