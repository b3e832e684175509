using System.Net;
using System.Net.Sockets;

namespace Skiff.ControlPlane.Controllers.NodeIpam;

/// <summary>
/// The pod CIDRs of one cluster CIDR (upstream's cidrset): the cluster network cut into equal subnets of the node mask size,
/// each either free or taken. Allocation goes round-robin from the subnet after the last one handed out, as upstream does,
/// so a CIDR freed by a deleted node is not handed to the next node at once (its routes may still linger). Thread-safe.
/// </summary>
public sealed class CidrSet
{
    /// <summary>Upstream refuses more than 2^16 subnets per cluster CIDR; so do we (the bitmap stays small).</summary>
    public const int MaxSubnetBits = 16;

    private readonly Lock _lock = new();
    private readonly UInt128 _base;
    private readonly int _addressBits;
    private readonly bool[] _taken;
    private int _next;
    private int _allocated;

    public CidrSet(IPNetwork clusterCidr, int nodeMaskSize)
    {
        ClusterCidr = clusterCidr;
        NodeMaskSize = nodeMaskSize;
        _addressBits = clusterCidr.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        string? problem = Problem(clusterCidr, nodeMaskSize);
        if (problem is not null)
        {
            throw new ArgumentOutOfRangeException(nameof(nodeMaskSize), problem);
        }

        _base = IpNumbers.ToNumber(clusterCidr.BaseAddress);
        _taken = new bool[1 << (nodeMaskSize - clusterCidr.PrefixLength)];
    }

    public IPNetwork ClusterCidr { get; }

    public int NodeMaskSize { get; }

    /// <summary>How many node CIDRs the cluster CIDR holds.</summary>
    public int Capacity => _taken.Length;

    public int Allocated
    {
        get
        {
            lock (_lock)
            {
                return _allocated;
            }
        }
    }

    /// <summary>Why <paramref name="nodeMaskSize"/> cannot cut <paramref name="clusterCidr"/>, or null when it can.</summary>
    public static string? Problem(IPNetwork clusterCidr, int nodeMaskSize)
    {
        int bits = clusterCidr.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        if (nodeMaskSize < clusterCidr.PrefixLength || nodeMaskSize > bits)
        {
            return $"the node CIDR mask size {nodeMaskSize} must lie between the cluster CIDR's prefix length {clusterCidr.PrefixLength} and {bits}";
        }

        if (nodeMaskSize - clusterCidr.PrefixLength > MaxSubnetBits)
        {
            return $"the node CIDR mask size {nodeMaskSize} cuts {clusterCidr} into more than 2^{MaxSubnetBits} subnets";
        }

        return null;
    }

    /// <summary>The next free node CIDR, now taken; false when every one is taken.</summary>
    public bool TryAllocateNext(out IPNetwork cidr)
    {
        lock (_lock)
        {
            for (int i = 0; i < _taken.Length; i++)
            {
                int candidate = (_next + i) % _taken.Length;
                if (!_taken[candidate])
                {
                    _taken[candidate] = true;
                    _allocated++;
                    _next = (candidate + 1) % _taken.Length;
                    cidr = Subnet(candidate);
                    return true;
                }
            }
        }

        cidr = default;
        return false;
    }

    /// <summary>
    /// Marks every node CIDR that <paramref name="cidr"/> overlaps as taken (a node's existing podCIDR, seen at startup);
    /// false when it lies outside the cluster CIDR, which leaves nothing to mark.
    /// </summary>
    public bool Occupy(IPNetwork cidr) => Mark(cidr, taken: true);

    /// <summary>Frees every node CIDR <paramref name="cidr"/> overlaps.</summary>
    public bool Release(IPNetwork cidr) => Mark(cidr, taken: false);

    private bool Mark(IPNetwork cidr, bool taken)
    {
        if (!TryRange(cidr, out int first, out int last))
        {
            return false;
        }

        lock (_lock)
        {
            for (int i = first; i <= last; i++)
            {
                if (_taken[i] != taken)
                {
                    _taken[i] = taken;
                    _allocated += taken ? 1 : -1;
                }
            }
        }

        return true;
    }

    // The indexes of the node CIDRs that cidr overlaps, clipped to the cluster CIDR.
    private bool TryRange(IPNetwork cidr, out int first, out int last)
    {
        first = last = 0;
        if (cidr.BaseAddress.AddressFamily != ClusterCidr.BaseAddress.AddressFamily)
        {
            return false;
        }

        UInt128 start = IpNumbers.ToNumber(cidr.BaseAddress);
        UInt128 end = start + ((UInt128.One << (_addressBits - cidr.PrefixLength)) - 1);
        UInt128 clusterEnd = _base + ((UInt128.One << (_addressBits - ClusterCidr.PrefixLength)) - 1);
        if (end < _base || start > clusterEnd)
        {
            return false;
        }

        start = start < _base ? _base : start;
        end = end > clusterEnd ? clusterEnd : end;
        int shift = _addressBits - NodeMaskSize;
        first = (int)((start - _base) >> shift);
        last = (int)((end - _base) >> shift);
        return true;
    }

    private IPNetwork Subnet(int index)
    {
        UInt128 address = _base + ((UInt128)index << (_addressBits - NodeMaskSize));
        return new IPNetwork(IpNumbers.FromNumber(address, _addressBits / 8), NodeMaskSize);
    }
}
