using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text;
using Skiff.Store;

namespace Skiff.ApiServer.Registry;

/// <summary>
/// Hands out Service ClusterIPs and NodePorts through the store: each taken value is a key created with create-if-absent, so an
/// address is never given twice, across concurrent creates and restarts, with any backend.
/// </summary>
internal static class Allocators
{
    private const string IpPrefix = "/skiff/allocations/serviceips/";
    private const string PortPrefix = "/skiff/allocations/nodeports/";

    // Upstream keeps the low band of the range for addresses users pick themselves (kube-dns at .10 among them).
    private const int StaticBand = 16;

    /// <summary>Takes a specific address; false when someone has it.</summary>
    public static async Task<bool> TryTakeIpAsync(ApiContext context, IPAddress address, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.DryRun)
        {
            return await context.Store.GetAsync(IpPrefix + address, 0, cancellationToken) is null;
        }

        WriteResult result = await context.Store.CreateAsync(IpPrefix + address, Encoding.UTF8.GetBytes(owner), null, cancellationToken);
        return result.Succeeded;
    }

    /// <summary>Takes a free address of the service range, starting at a point derived from the owner.</summary>
    public static async Task<IPAddress> TakeIpAsync(ApiContext context, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        IPNetwork network = context.Options.ServiceCidr;
        int hostBits = (network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128) - network.PrefixLength;
        long size = (long)Math.Min(1L << Math.Min(hostBits, 62), int.MaxValue);
        long usable = size - 2 - StaticBand;
        if (usable <= 0)
        {
            throw Machinery.Errors.ApiErrors.Internal("the service CIDR is too small to allocate from");
        }

        long start = (uint)owner.GetHashCode(StringComparison.Ordinal) % usable;
        for (long i = 0; i < usable; i++)
        {
            IPAddress candidate = Offset(network.BaseAddress, 1 + StaticBand + ((start + i) % usable));
            if (await TryTakeIpAsync(context, candidate, owner, cancellationToken))
            {
                return candidate;
            }
        }

        throw new Machinery.Errors.StatusException(500, "InternalError", "Internal error occurred: failed to allocate a serviceIP: range is full");
    }

    public static Task ReleaseIpAsync(ApiContext context, string address, CancellationToken cancellationToken) =>
        context.Store.DeleteAsync(IpPrefix + address, 0, cancellationToken);

    public static async Task<bool> TryTakePortAsync(ApiContext context, int port, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        string key = PortPrefix + port.ToString(CultureInfo.InvariantCulture);
        if (context.DryRun)
        {
            return await context.Store.GetAsync(key, 0, cancellationToken) is null;
        }

        return (await context.Store.CreateAsync(key, Encoding.UTF8.GetBytes(owner), null, cancellationToken)).Succeeded;
    }

    public static async Task<int> TakePortAsync(ApiContext context, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        int first = context.Options.NodePortFirst;
        int count = context.Options.NodePortLast - first + 1;
        int start = (int)((uint)owner.GetHashCode(StringComparison.Ordinal) % (uint)count);
        for (int i = 0; i < count; i++)
        {
            int candidate = first + ((start + i) % count);
            if (await TryTakePortAsync(context, candidate, owner, cancellationToken))
            {
                return candidate;
            }
        }

        throw new Machinery.Errors.StatusException(500, "InternalError", "Internal error occurred: failed to allocate a nodePort: range is full");
    }

    public static Task ReleasePortAsync(ApiContext context, int port, CancellationToken cancellationToken) =>
        context.Store.DeleteAsync(PortPrefix + port.ToString(CultureInfo.InvariantCulture), 0, cancellationToken);

    /// <summary>The address <paramref name="offset"/> places after <paramref name="baseAddress"/>.</summary>
    public static IPAddress Offset(IPAddress baseAddress, long offset)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        byte[] bytes = baseAddress.GetAddressBytes();
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true) + offset;
        byte[] result = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        byte[] padded = new byte[bytes.Length];
        Array.Copy(result, 0, padded, padded.Length - result.Length, result.Length);
        return new IPAddress(padded);
    }
}
