using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using k8s.Models;

namespace Skiff.Agent.Dns;

/// <summary>
/// Builds a <see cref="DnsRecordSet"/> from Services and EndpointSlices with the records of CoreDNS' kubernetes plugin:
/// <list type="bullet">
/// <item><c>svc.ns.svc.domain</c>: A/AAAA of the ClusterIPs; for a headless Service the ready endpoint addresses; CNAME for ExternalName.</item>
/// <item><c>name.svc.ns.svc.domain</c> (headless only): each ready endpoint under its hostname, or its dashed address without one.</item>
/// <item><c>_port._proto.svc.ns.svc.domain</c> SRV for named ports (to the Service's name, or one per endpoint when headless); the
/// Service name itself answers SRV with every named port.</item>
/// <item>PTR under in-addr.arpa/ip6.arpa for ClusterIPs (to the Service's name) and endpoint addresses (to the endpoint's name).</item>
/// </list>
/// </summary>
internal static class DnsRecordBuilder
{
    private const string ServiceNameLabel = "kubernetes.io/service-name";

    public static DnsRecordSet Build(IEnumerable<V1Service> services, IEnumerable<V1EndpointSlice> slices, string domain, TimeSpan ttl, uint serial)
    {
        domain = DnsNames.Key(domain);
        int seconds = (int)ttl.TotalSeconds;
        var slicesByService = new Dictionary<(string Namespace, string Name), List<V1EndpointSlice>>();
        foreach (V1EndpointSlice slice in slices)
        {
            if (slice.Metadata?.Labels is { } labels && labels.TryGetValue(ServiceNameLabel, out string? service) && !string.IsNullOrEmpty(service))
            {
                var key = (slice.Metadata.NamespaceProperty ?? "default", service);
                if (!slicesByService.TryGetValue(key, out List<V1EndpointSlice>? list))
                {
                    list = [];
                    slicesByService[key] = list;
                }

                list.Add(slice);
            }
        }

        var zone = new Zone(seconds);
        foreach (V1Service service in services)
        {
            string? name = service.Metadata?.Name;
            string ns = service.Metadata?.NamespaceProperty ?? "default";
            if (string.IsNullOrEmpty(name))
            {
                continue;
            }

            AddService(zone, service, $"{name}.{ns}.svc.{domain}".ToLowerInvariant(), slicesByService.GetValueOrDefault((ns, name)) ?? []);
        }

        return new DnsRecordSet(domain, ttl, serial, zone.Freeze(), EmptyNonTerminals(zone.Names, domain));
    }

    private static void AddService(Zone zone, V1Service service, string serviceName, List<V1EndpointSlice> slices)
    {
        DomainName serviceDomain = DomainName.Parse(serviceName);
        V1ServiceSpec spec = service.Spec ?? new V1ServiceSpec();
        if (string.Equals(spec.Type, "ExternalName", StringComparison.Ordinal))
        {
            if (!string.IsNullOrEmpty(spec.ExternalName) && DomainName.TryParse(spec.ExternalName.TrimEnd('.'), out DomainName? target) && target is not null)
            {
                zone.Answer(serviceName, new CNameRecord(serviceDomain, zone.Ttl, target));
            }

            return;
        }

        List<IPAddress> clusterIps = ClusterIps(spec);
        bool headless = clusterIps.Count == 0;
        zone.Touch(serviceName);
        List<Endpoint> endpoints = ReadyEndpoints(slices, spec.PublishNotReadyAddresses == true);
        foreach (Endpoint endpoint in endpoints)
        {
            // CoreDNS answers PTR for endpoint addresses of every Service, naming the endpoint as a headless Service would.
            zone.Pointer(endpoint.Address, DomainName.Parse(endpoint.Label + "." + serviceName), overrideExisting: false);
        }

        if (!headless)
        {
            foreach (IPAddress ip in clusterIps)
            {
                zone.Answer(serviceName, Address(serviceDomain, zone.Ttl, ip));
                zone.Pointer(ip, serviceDomain, overrideExisting: true);
            }

            foreach (V1ServicePort port in spec.Ports ?? [])
            {
                if (!string.IsNullOrEmpty(port.Name))
                {
                    string srvName = $"_{port.Name}._{(port.Protocol ?? "TCP").ToLowerInvariant()}.{serviceName}".ToLowerInvariant();
                    var srv = new SrvRecord(DomainName.Parse(srvName), zone.Ttl, 0, 100, (ushort)port.Port, serviceDomain);
                    DnsRecordBase[] additional = [.. clusterIps.Select(ip => Address(serviceDomain, zone.Ttl, ip))];
                    zone.Answer(srvName, srv, additional);
                    zone.Answer(serviceName, new SrvRecord(serviceDomain, zone.Ttl, 0, 100, (ushort)port.Port, serviceDomain), additional);
                }
            }

            return;
        }

        foreach (Endpoint endpoint in endpoints)
        {
            string endpointName = endpoint.Label + "." + serviceName;
            DnsRecordBase address = Address(DomainName.Parse(endpointName), zone.Ttl, endpoint.Address);
            zone.Answer(serviceName, Address(serviceDomain, zone.Ttl, endpoint.Address));
            zone.Answer(endpointName, address);
        }

        // One SRV per endpoint and named port; the weight splits 100 across the endpoints of a port, as CoreDNS does.
        foreach (IGrouping<(string Name, string Protocol), (Endpoint Endpoint, int Port)> group in endpoints
            .SelectMany(e => e.Ports.Select(p => (Key: (p.Name, p.Protocol), Value: (e, p.Port))))
            .GroupBy(x => x.Key, x => x.Value))
        {
            string srvName = $"_{group.Key.Name}._{group.Key.Protocol}.{serviceName}";
            int count = group.Count();
            ushort weight = (ushort)Math.Max(1, 100 / count);
            foreach ((Endpoint endpoint, int port) in group)
            {
                DomainName target = DomainName.Parse(endpoint.Label + "." + serviceName);
                DnsRecordBase[] additional = [Address(target, zone.Ttl, endpoint.Address)];
                zone.Answer(srvName, new SrvRecord(DomainName.Parse(srvName), zone.Ttl, 0, weight, (ushort)port, target), additional);
                zone.Answer(serviceName, new SrvRecord(serviceDomain, zone.Ttl, 0, weight, (ushort)port, target), additional);
            }
        }
    }

    private static List<IPAddress> ClusterIps(V1ServiceSpec spec)
    {
        IEnumerable<string> candidates = spec.ClusterIPs is { Count: > 0 } ips ? ips : spec.ClusterIP is { } ip ? [ip] : [];
        var result = new List<IPAddress>();
        foreach (string candidate in candidates)
        {
            if (!string.Equals(candidate, "None", StringComparison.Ordinal) && IPAddress.TryParse(candidate, out IPAddress? address))
            {
                result.Add(address);
            }
        }

        return result;
    }

    /// <summary>Ready addresses (a missing ready condition counts as ready, as the EndpointSlice API says), de-duplicated by address.</summary>
    private static List<Endpoint> ReadyEndpoints(List<V1EndpointSlice> slices, bool publishNotReady)
    {
        var seen = new HashSet<IPAddress>();
        var result = new List<Endpoint>();
        foreach (V1EndpointSlice slice in slices.OrderBy(s => s.Metadata?.Name, StringComparer.Ordinal))
        {
            if (slice.AddressType is not ("IPv4" or "IPv6"))
            {
                continue;
            }

            List<(string Name, string Protocol, int Port)> ports = [.. (slice.Ports ?? [])
                .Where(p => !string.IsNullOrEmpty(p.Name) && p.Port is > 0 and <= ushort.MaxValue)
                .Select(p => (p.Name, (p.Protocol ?? "TCP").ToLowerInvariant(), p.Port ?? 0))];
            foreach (V1Endpoint endpoint in slice.Endpoints ?? [])
            {
                if (endpoint.Conditions?.Ready == false && !publishNotReady)
                {
                    continue;
                }

                foreach (string text in endpoint.Addresses ?? [])
                {
                    if (IPAddress.TryParse(text, out IPAddress? address) && seen.Add(address))
                    {
                        string label = string.IsNullOrEmpty(endpoint.Hostname) ? DnsNames.Dashed(address) : endpoint.Hostname.ToLowerInvariant();
                        result.Add(new Endpoint(address, label, ports));
                    }
                }
            }
        }

        return result;
    }

    private static DnsRecordBase Address(DomainName name, int ttl, IPAddress ip) =>
        ip.AddressFamily == AddressFamily.InterNetworkV6 ? new AaaaRecord(name, ttl, ip) : new ARecord(name, ttl, ip);

    /// <summary>Every proper suffix of a name in the domain down to the domain itself, plus <c>svc.</c> and <c>pod.</c> (which always exist).</summary>
    private static FrozenSet<string> EmptyNonTerminals(IEnumerable<string> names, string domain)
    {
        var result = new HashSet<string>(StringComparer.Ordinal) { domain, "svc." + domain, "pod." + domain };
        string suffix = "." + domain;
        foreach (string name in names)
        {
            if (!name.EndsWith(suffix, StringComparison.Ordinal))
            {
                continue;
            }

            for (int dot = name.IndexOf('.', StringComparison.Ordinal); dot >= 0 && dot + 1 < name.Length - domain.Length; dot = name.IndexOf('.', dot + 1))
            {
                result.Add(name[(dot + 1)..]);
            }
        }

        result.ExceptWith(names);
        return result.ToFrozenSet(StringComparer.Ordinal);
    }

    private sealed record Endpoint(IPAddress Address, string Label, List<(string Name, string Protocol, int Port)> Ports);

    /// <summary>Mutable while building: answers and additional records per lookup key, and PTRs.</summary>
    private sealed class Zone(int ttl)
    {
        private readonly Dictionary<string, (List<DnsRecordBase> Answers, List<DnsRecordBase> Additional)> _names = new(StringComparer.Ordinal);

        public int Ttl { get; } = ttl;

        public IEnumerable<string> Names => _names.Keys;

        /// <summary>Makes the name exist (a headless Service without ready endpoints answers NOERROR with no records, not NXDOMAIN).</summary>
        public (List<DnsRecordBase> Answers, List<DnsRecordBase> Additional) Touch(string key)
        {
            if (!_names.TryGetValue(key, out var entry))
            {
                entry = ([], []);
                _names[key] = entry;
            }

            return entry;
        }

        public void Answer(string key, DnsRecordBase record, IEnumerable<DnsRecordBase>? additional = null)
        {
            var entry = Touch(key);
            if (!entry.Answers.Contains(record))
            {
                entry.Answers.Add(record);
            }

            foreach (DnsRecordBase extra in additional ?? [])
            {
                if (!entry.Additional.Contains(extra))
                {
                    entry.Additional.Add(extra);
                }
            }
        }

        public void Pointer(IPAddress address, DomainName target, bool overrideExisting)
        {
            string key = DnsNames.Reverse(address);
            if (_names.TryGetValue(key, out var existing))
            {
                if (!overrideExisting)
                {
                    return;
                }

                existing.Answers.Clear();
            }

            Answer(key, new PtrRecord(DomainName.Parse(key), Ttl, target));
        }

        public FrozenDictionary<string, NameRecords> Freeze() =>
            _names.ToFrozenDictionary(p => p.Key, p => new NameRecords(p.Value.Answers, p.Value.Additional), StringComparer.Ordinal);
    }
}
