using k8s;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Dns;

/// <summary>
/// Cluster DNS (CoreDNS' kubernetes plugin's records) served by the agent: A, SRV and PTR records for Services and their
/// endpoints under the cluster domain from watched Services and EndpointSlices; every other name forwarded upstream.
/// </summary>
public sealed partial class ClusterDnsServer
{
    /// <summary>Node annotation: the address this node's DNS server answers on; the kube-dns endpoints controller reads it.</summary>
    public const string AddressAnnotation = "skiff.io/dns-address";

    private readonly IKubernetes _client;
    private readonly ClusterDnsOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;

    public ClusterDnsServer(IKubernetes client, ClusterDnsOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _client = client;
        _options = options;
        _loggerFactory = loggerFactory;
        _time = time;
    }

    /// <summary>Completes once the server listens and its records are loaded (the caller then publishes <see cref="AddressAnnotation"/>).</summary>
    public Task Ready => throw new NotImplementedException("helper: dns");

    /// <summary>Serves until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) => throw new NotImplementedException("helper: dns");
}
