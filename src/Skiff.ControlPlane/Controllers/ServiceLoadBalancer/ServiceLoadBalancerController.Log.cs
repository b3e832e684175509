using System.Net;
using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers.ServiceLoadBalancer;

public sealed partial class ServiceLoadBalancerController
{
    [LoggerMessage(EventId = 7300, Level = LogLevel.Information, Message = "Assigned load balancer IP {Address} to Service {Namespace}/{Name}.")]
    private static partial void LogAllocated(ILogger logger, string @namespace, string name, IPAddress address);

    [LoggerMessage(EventId = 7301, Level = LogLevel.Information, Message = "Released load balancer IP {Address} of Service {Key}.")]
    private static partial void LogReleased(ILogger logger, string key, IPAddress address);

    [LoggerMessage(EventId = 7302, Level = LogLevel.Warning, Message = "No load balancer IP for Service {Namespace}/{Name}: {Reason}. It stays pending.")]
    private static partial void LogAllocationFailed(ILogger logger, string @namespace, string name, string reason);

    [LoggerMessage(EventId = 7303, Level = LogLevel.Information, Message = "Service {Key} now shows load balancer ingress [{Addresses}].")]
    private static partial void LogWritten(ILogger logger, string key, string addresses);

    [LoggerMessage(EventId = 7304, Level = LogLevel.Information, Message = "Cleared the load balancer ingress of Service {Key}: it is no longer a LoadBalancer this controller serves.")]
    private static partial void LogCleared(ILogger logger, string key);

    [LoggerMessage(EventId = 7305, Level = LogLevel.Information, Message = "Load balancer pool {Pool}: {InUse} addresses already in use by existing Services.")]
    private static partial void LogPoolRebuilt(ILogger logger, IPNetwork pool, int inUse);
}
