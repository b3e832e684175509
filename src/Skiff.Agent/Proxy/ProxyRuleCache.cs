using System.Net;

namespace Skiff.Agent.Proxy;

/// <summary>
/// <see cref="ProxyRules.Render"/> with memory, as kube-proxy's partial sync: each Service port's rules are kept with the
/// <see cref="ProxyServicePort"/> they came from (its Service fields, its endpoints and their node-local and zone-filtered
/// view, which is everything <see cref="ProxyRules.RenderPort"/> reads), and the next <see cref="Render"/> renders again only the
/// ports whose inputs differ, or are new. The shared chains are then joined from the kept per-port lines, and the unchanged
/// ports' chains are the same strings as before, so the diff against the last written set compares them by reference. The
/// result is always equal to a full <see cref="ProxyRules.Render"/> of the same ports. Used by one sync loop at a time.
/// </summary>
public sealed class ProxyRuleCache
{
    private readonly IPNetwork _clusterCidr;
    private Dictionary<string, (ProxyServicePort Port, RuleSet Rules)> _byPort = new(StringComparer.Ordinal);

    public ProxyRuleCache(IPNetwork clusterCidr) => _clusterCidr = clusterCidr;

    /// <summary>How many ports the last <see cref="Render"/> rendered; the others reused their kept rules.</summary>
    public int LastRendered { get; private set; }

    /// <summary>The whole set for <paramref name="ports"/>, rendering only the ports that changed since the last call.</summary>
    public RuleSet Render(IReadOnlyList<ProxyServicePort> ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        var kept = new Dictionary<string, (ProxyServicePort Port, RuleSet Rules)>(ports.Count, StringComparer.Ordinal);
        var parts = new List<RuleSet>(ports.Count);
        int rendered = 0;
        foreach (ProxyServicePort port in ports)
        {
            string key = port.DisplayName + "/" + port.Protocol;
            if (!_byPort.TryGetValue(key, out var entry) || !SameInputs(entry.Port, port))
            {
                entry = (port, ProxyRules.RenderPort(port, _clusterCidr));
                rendered++;
            }

            kept[key] = entry;
            parts.Add(entry.Rules);
        }

        _byPort = kept;
        LastRendered = rendered;
        return ProxyRules.Assemble(parts);
    }

    /// <summary>Forgets every kept port, so the next <see cref="Render"/> renders them all (a full sync).</summary>
    public void Clear() => _byPort.Clear();

    /// <summary>Equal field by field, and the address and endpoint lists element by element (the record compares lists by reference).</summary>
    internal static bool SameInputs(ProxyServicePort a, ProxyServicePort b) =>
        a with { ExternalAddresses = b.ExternalAddresses, Endpoints = b.Endpoints } == b
        && a.ExternalAddresses.SequenceEqual(b.ExternalAddresses, StringComparer.Ordinal)
        && a.Endpoints.SequenceEqual(b.Endpoints);
}
