using System.Net;

namespace Skiff.ControlPlane.Controllers.NodeIpam;

/// <summary>IP addresses as unsigned numbers (IPv4 and IPv6 alike), for the pod CIDR and load-balancer address allocators.</summary>
internal static class IpNumbers
{
    public static UInt128 ToNumber(IPAddress address)
    {
        UInt128 value = UInt128.Zero;
        foreach (byte b in address.GetAddressBytes())
        {
            value = (value << 8) | b;
        }

        return value;
    }

    /// <summary>The address of <paramref name="byteCount"/> bytes (4 or 16) whose number is <paramref name="value"/>.</summary>
    public static IPAddress FromNumber(UInt128 value, int byteCount)
    {
        byte[] bytes = new byte[byteCount];
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(value & 0xFF);
            value >>= 8;
        }

        return new IPAddress(bytes);
    }
}
