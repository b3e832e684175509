using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ARSoft.Tools.Net;

namespace Skiff.Agent.Dns;

/// <summary>Name helpers shared by the record builder and the responder: lookup keys, reverse names and dashed IPs.</summary>
internal static class DnsNames
{
    /// <summary>The lookup key of a name: its labels lower-cased (ASCII, as DNS compares), joined by dots, no trailing dot.</summary>
    public static string Key(DomainName name)
    {
        string[] labels = name.Labels;
        if (labels.Length == 0)
        {
            return string.Empty;
        }

        var builder = new StringBuilder(64);
        for (int i = 0; i < labels.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('.');
            }

            foreach (char c in labels[i])
            {
                builder.Append(c is >= 'A' and <= 'Z' ? (char)(c + 32) : c);
            }
        }

        return builder.ToString();
    }

    /// <summary>Lower-cases and drops a trailing dot, as <see cref="Key(DomainName)"/> does.</summary>
    public static string Key(string name) => name.TrimEnd('.').ToLowerInvariant();

    /// <summary><c>d.c.b.a.in-addr.arpa</c> or the nibble form under <c>ip6.arpa</c>.</summary>
    public static string Reverse(IPAddress address)
    {
        byte[] bytes = address.GetAddressBytes();
        var builder = new StringBuilder(72);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            for (int i = bytes.Length - 1; i >= 0; i--)
            {
                builder.Append(bytes[i].ToString(CultureInfo.InvariantCulture)).Append('.');
            }

            return builder.Append("in-addr.arpa").ToString();
        }

        const string hex = "0123456789abcdef";
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            builder.Append(hex[bytes[i] & 0xF]).Append('.').Append(hex[bytes[i] >> 4]).Append('.');
        }

        return builder.Append("ip6.arpa").ToString();
    }

    /// <summary>The address with dots (or colons) replaced by dashes: CoreDNS' name for an endpoint without a hostname and for pod records.</summary>
    public static string Dashed(IPAddress address) => address.ToString().Replace('.', '-').Replace(':', '-');

    /// <summary>The address a pod record's first label spells (<c>10-42-0-5</c>, or an IPv6 address with dashes for colons).</summary>
    public static bool TryParseDashed(string label, out IPAddress? address)
    {
        address = null;
        if (label.Length == 0)
        {
            return false;
        }

        if (label.Count(c => c == '-') == 3 && IPAddress.TryParse(label.Replace('-', '.'), out IPAddress? v4) && v4.AddressFamily == AddressFamily.InterNetwork)
        {
            address = v4;
            return true;
        }

        if (IPAddress.TryParse(label.Replace('-', ':'), out IPAddress? v6) && v6.AddressFamily == AddressFamily.InterNetworkV6)
        {
            address = v6;
            return true;
        }

        return false;
    }
}
