using System.Collections.Concurrent;
using System.Collections.Frozen;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Skiff.Agent.Dns;

/// <summary>The records of one name: what its answers hold, and what goes in the additional section beside its SRV answers.</summary>
internal sealed record NameRecords(IReadOnlyList<DnsRecordBase> Answers, IReadOnlyList<DnsRecordBase> Additional);

/// <summary>Key of a precomputed response: the question's name (lookup key), type, and whether the query carried EDNS.</summary>
internal readonly record struct ResponseKey(string Name, RecordType Type, bool Edns);

/// <summary>
/// One immutable snapshot of the cluster's records (swapped whole when Services or EndpointSlices change, so a query never sees
/// half an update), with the encoded responses computed from it on first use. Names are lookup keys (<see cref="DnsNames.Key(DomainName)"/>).
/// </summary>
internal sealed class DnsRecordSet
{
    /// <summary>At most this many encoded responses are kept per snapshot (every one belongs to a name the snapshot holds).</summary>
    public const int MaxResponses = 65_536;

    private readonly FrozenDictionary<string, NameRecords> _names;
    private readonly FrozenSet<string> _emptyNonTerminals;

    public DnsRecordSet(string domain, TimeSpan ttl, uint serial, FrozenDictionary<string, NameRecords> names, FrozenSet<string> emptyNonTerminals)
    {
        Domain = DnsNames.Key(domain);
        DomainName = DomainName.Parse(Domain);
        Ttl = (int)ttl.TotalSeconds;
        _names = names;
        _emptyNonTerminals = emptyNonTerminals;
        Soa = new SoaRecord(DomainName, Ttl, DomainName.Parse("ns.dns." + Domain), DomainName.Parse("hostmaster." + Domain), serial, 7200, 1800, 86400, Ttl);
    }

    /// <summary>The cluster domain's lookup key (<c>cluster.local</c>).</summary>
    public string Domain { get; }

    public DomainName DomainName { get; }

    public int Ttl { get; }

    /// <summary>The zone's SOA: the authority section of NXDOMAIN and empty answers (its minimum, the negative TTL, is <see cref="Ttl"/>).</summary>
    public SoaRecord Soa { get; }

    public int Count => _names.Count;

    /// <summary>Encoded responses for names in this snapshot (see <see cref="DnsResponder"/>); dropped with the snapshot.</summary>
    public ConcurrentDictionary<ResponseKey, byte[]> Responses { get; } = new();

    public static DnsRecordSet Empty(string domain, TimeSpan ttl) => new(domain, ttl, 0, FrozenDictionary<string, NameRecords>.Empty, FrozenSet<string>.Empty);

    public bool TryGet(string key, out NameRecords? records) => _names.TryGetValue(key, out records);

    /// <summary>A name that exists only because names below it do (<c>default.svc.cluster.local</c>): NOERROR with no answers.</summary>
    public bool IsEmptyNonTerminal(string key) => _emptyNonTerminals.Contains(key);

    /// <summary>Whether the name is the cluster domain or below it (the names this server is authoritative for).</summary>
    public bool InDomain(string key) =>
        key.Length == Domain.Length ? string.Equals(key, Domain, StringComparison.Ordinal)
        : key.Length > Domain.Length && key[key.Length - Domain.Length - 1] == '.' && key.EndsWith(Domain, StringComparison.Ordinal);
}
