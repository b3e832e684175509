using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Skiff.Pki;

/// <summary>The names and addresses the API serving certificate must carry, in a canonical order so two sets compare equal.</summary>
internal sealed record ServingNames(IReadOnlyList<string> DnsNames, IReadOnlyList<IPAddress> Addresses)
{
    /// <summary>What clients dial: the host, its interfaces, loopback and the in-cluster <c>kubernetes</c> Service.</summary>
    public static ServingNames For(string hostName, IPNetwork serviceCidr, string clusterDomain, IEnumerable<IPAddress> interfaceAddresses)
    {
        var dnsNames = new SortedSet<string>(StringComparer.Ordinal)
        {
            hostName.ToLowerInvariant(),
            "localhost",
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            $"kubernetes.default.svc.{clusterDomain}",
        };
        var addresses = new HashSet<IPAddress>(interfaceAddresses.Where(a => !IPAddress.IsLoopback(a)).Select(Normalize))
        {
            IPAddress.Loopback,
            IPAddress.IPv6Loopback,
            FirstServiceAddress(serviceCidr),
        };
        return new ServingNames(
            [.. dnsNames],
            [.. addresses.OrderBy(a => a.AddressFamily).ThenBy(a => Convert.ToHexString(a.GetAddressBytes()), StringComparer.Ordinal)]);
    }

    /// <summary>The ClusterIP of the <c>kubernetes</c> Service: the first address after the network address.</summary>
    public static IPAddress FirstServiceAddress(IPNetwork serviceCidr)
    {
        byte[] bytes = serviceCidr.BaseAddress.GetAddressBytes();
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            if (++bytes[i] != 0)
            {
                break;
            }
        }

        return new IPAddress(bytes);
    }

    /// <summary>Every unicast address of every interface that is up (loopback is added separately).</summary>
    public static IEnumerable<IPAddress> MachineAddresses()
    {
        foreach (NetworkInterface networkInterface in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (networkInterface.OperationalStatus is OperationalStatus.Down)
            {
                continue;
            }

            foreach (UnicastIPAddressInformation unicast in networkInterface.GetIPProperties().UnicastAddresses)
            {
                if (unicast.Address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                {
                    yield return unicast.Address;
                }
            }
        }
    }

    /// <summary>True when <paramref name="other"/> carries exactly the same names and addresses.</summary>
    public bool SameAs(ServingNames other) =>
        DnsNames.SequenceEqual(other.DnsNames, StringComparer.Ordinal) && Addresses.SequenceEqual(other.Addresses);

    // A SAN cannot carry an interface scope (fe80::1%eth0); drop it so the set compares with what is read back.
    private static IPAddress Normalize(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? new IPAddress(address.GetAddressBytes()) : address;
}
