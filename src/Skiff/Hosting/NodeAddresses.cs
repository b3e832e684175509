using System.Net;
using System.Net.Sockets;
using Skiff.Commands;
using Skiff.Pki;

namespace Skiff.Hosting;

/// <summary>The node's InternalIP: <c>--node-ip</c>, else the machine's first non-loopback IPv4 address, else loopback.</summary>
internal static class NodeAddresses
{
    private static readonly string DefaultContainerdDirectory = new DataDirectory("/var/lib/skiff").ContainerdDirectory;

    public static IPAddress NodeIp(NodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.NodeIp
            ?? ServingNames.MachineAddresses().FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? IPAddress.Loopback;
    }

    /// <summary>
    /// The CNI bridge for a containerd data dir: <c>cni0</c> under the default data dir (a real node), else <c>sk</c> and 8 hex digits of
    /// the path's hash, so that several agents on one host (tests) never share a bridge; at most 15 characters.
    /// </summary>
    public static string BridgeName(string containerdDirectory)
    {
        if (containerdDirectory == DefaultContainerdDirectory)
        {
            return "cni0";
        }

        byte[] hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(containerdDirectory));
        return "sk" + Convert.ToHexStringLower(hash)[..8];
    }

    /// <summary>The first node-sized subnet of <paramref name="clusterCidr"/> (what the IPAM controller would hand the first node).</summary>
    public static IPNetwork FirstPodCidr(IPNetwork clusterCidr, int maskSize)
    {
        int size = maskSize > 0 ? maskSize : clusterCidr.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? 64 : 24;
        return new IPNetwork(clusterCidr.BaseAddress, Math.Max(size, clusterCidr.PrefixLength));
    }
}
