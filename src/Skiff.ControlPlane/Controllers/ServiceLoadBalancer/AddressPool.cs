using System.Net;
using System.Net.Sockets;
using Skiff.ControlPlane.Controllers.NodeIpam;

namespace Skiff.ControlPlane.Controllers.ServiceLoadBalancer;

/// <summary>
/// The addresses of the load balancer pool and which of them are in use (MetalLB's allocator, for one pool). In an IPv4 pool
/// larger than a /31 the network and broadcast addresses are never handed out (many hosts and routers refuse them); in an
/// IPv6 pool larger than a /127 the all-zero subnet-router anycast address is skipped. Not thread-safe: the controller
/// holds its lock around every call.
/// </summary>
internal sealed class AddressPool
{
    private readonly UInt128 _base;
    private readonly UInt128 _first;
    private readonly UInt128 _last;
    private readonly HashSet<UInt128> _taken = [];

    public AddressPool(IPNetwork network)
    {
        Network = network;
        int bits = network.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        int hostBits = bits - network.PrefixLength;
        UInt128 lastOffset = hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        _base = IpNumbers.ToNumber(network.BaseAddress);
        _first = hostBits > 1 ? UInt128.One : UInt128.Zero;
        _last = hostBits > 1 && bits == 32 ? lastOffset - 1 : lastOffset;
    }

    public IPNetwork Network { get; }

    /// <summary>How many addresses the pool can hand out.</summary>
    public UInt128 Capacity => _last - _first + 1;

    public int InUse => _taken.Count;

    /// <summary>True when <paramref name="address"/> is one the pool hands out (inside it, and not its network or broadcast address).</summary>
    public bool Contains(IPAddress address) => TryOffset(address, out _);

    public bool IsTaken(IPAddress address) => TryOffset(address, out UInt128 offset) && _taken.Contains(offset);

    /// <summary>Marks <paramref name="address"/> used; false when it is outside the pool or already used.</summary>
    public bool Occupy(IPAddress address) => TryOffset(address, out UInt128 offset) && _taken.Add(offset);

    /// <summary>Frees <paramref name="address"/>; false when it was not in use.</summary>
    public bool Release(IPAddress address) => TryOffset(address, out UInt128 offset) && _taken.Remove(offset);

    /// <summary>Takes the lowest free address; false when every address is in use.</summary>
    public bool TryAllocateNext(out IPAddress address)
    {
        // At most InUse addresses are skipped before a free one, so the scan is bounded by the number in use.
        for (UInt128 offset = _first; offset <= _last; offset++)
        {
            if (_taken.Add(offset))
            {
                address = IpNumbers.FromNumber(_base + offset, Network.BaseAddress.GetAddressBytes().Length);
                return true;
            }

            if (offset == _last)
            {
                break;
            }
        }

        address = IPAddress.None;
        return false;
    }

    private bool TryOffset(IPAddress address, out UInt128 offset)
    {
        offset = default;
        if (address.IsIPv4MappedToIPv6 && Network.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != Network.BaseAddress.AddressFamily || !Network.Contains(address))
        {
            return false;
        }

        offset = IpNumbers.ToNumber(address) - _base;
        return offset >= _first && offset <= _last;
    }
}
