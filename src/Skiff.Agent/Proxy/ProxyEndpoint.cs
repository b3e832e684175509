namespace Skiff.Agent.Proxy;

/// <summary>One backend of a Service port as the rules see it: an IPv4 address and target port, with its EndpointSlice conditions.</summary>
/// <param name="Ip">The endpoint's (first) address.</param>
/// <param name="Port">The port from the slice's port entry that matches the Service port.</param>
/// <param name="Ready">conditions.ready (absent means ready).</param>
/// <param name="Serving">conditions.serving (absent means the same as ready).</param>
/// <param name="Terminating">conditions.terminating.</param>
/// <param name="IsLocal">The endpoint's nodeName is this node (externalTrafficPolicy and internalTrafficPolicy Local).</param>
public sealed record ProxyEndpoint(string Ip, int Port, bool Ready, bool Serving, bool Terminating, bool IsLocal)
{
    /// <summary><c>ip:port</c>, the DNAT target.</summary>
    public string HostPort => Ip + ":" + Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
