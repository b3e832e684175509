using k8s;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Proxy;

/// <summary>
/// kube-proxy's iptables mode: Services and EndpointSlices (and this Node) are watched, and the nat and filter chains that send
/// ClusterIP, NodePort and LoadBalancer traffic to ready endpoints are written with iptables-restore; only changed chains are rewritten.
/// </summary>
public sealed partial class ServiceProxy
{
    private readonly IKubernetes _client;
    private readonly ServiceProxyOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;

    public ServiceProxy(IKubernetes client, ServiceProxyOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _client = client;
        _options = options;
        _loggerFactory = loggerFactory;
        _time = time;
    }

    /// <summary>Programs the rules until cancelled, then removes its chains and jumps.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => throw new NotImplementedException("helper: proxy");
}
