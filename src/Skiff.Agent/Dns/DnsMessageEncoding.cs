using System.Reflection;
using ARSoft.Tools.Net.Dns;

namespace Skiff.Agent.Dns;

/// <summary>DNS messages to wire bytes through ARSoft.Tools.Net's own encoder (also used by the DNS benchmark's load generator).</summary>
public static class DnsMessageEncoding
{
    // ARSoft.Tools.Net 3.6.1 keeps DnsMessageBase.Encode() internal (its DnsServer and DnsClient call it and hand the bytes to
    // their transports), and its DnsServer costs more per query than the cluster DNS may spend (see README). Binding one delegate to
    // that method keeps the wire format the library's own rather than a hand-written one; the version is pinned in
    // Directory.Packages.props and DnsRecordBuilderTests fails if the method moves.
    private static readonly Func<DnsMessageBase, DnsRawPackage> s_encode =
        (typeof(DnsMessageBase).GetMethod("Encode", BindingFlags.Instance | BindingFlags.NonPublic, Type.EmptyTypes)
            ?? throw new MissingMethodException(nameof(DnsMessageBase), "Encode"))
        .CreateDelegate<Func<DnsMessageBase, DnsRawPackage>>();

    /// <summary>The message as it goes into a UDP datagram (no TCP length prefix).</summary>
    public static ArraySegment<byte> Encode(DnsMessageBase message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return s_encode(message).ToArraySegment(false);
    }
}
