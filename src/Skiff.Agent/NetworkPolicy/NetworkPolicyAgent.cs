using k8s;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.NetworkPolicy;

/// <summary>
/// Enforces NetworkPolicy for the pods on this node with iptables filter chains (as Calico does): watched policies, pods and
/// namespaces become per-pod ingress and egress chains reached from FORWARD; traffic a policy does not allow is dropped.
/// </summary>
public sealed partial class NetworkPolicyAgent
{
    private readonly IKubernetes _client;
    private readonly NetworkPolicyOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;

    public NetworkPolicyAgent(IKubernetes client, NetworkPolicyOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _client = client;
        _options = options;
        _loggerFactory = loggerFactory;
        _time = time;
    }

    /// <summary>Enforces until cancelled, then removes its chains and jumps.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => throw new NotImplementedException("helper: netpol");
}
