using System.Net;
using Skiff.ControlPlane.Controllers.ServiceLoadBalancer;

namespace Skiff.ControlPlane.Tests.Controllers.ServiceLoadBalancer;

public sealed class AddressPoolTests
{
    [Fact]
    public void TryAllocateNext_Slash30_HandsOutOnlyTheTwoHostAddresses()
    {
        var pool = new AddressPool(IPNetwork.Parse("192.168.200.0/30"));

        Assert.True(pool.TryAllocateNext(out IPAddress first));
        Assert.True(pool.TryAllocateNext(out IPAddress second));
        Assert.False(pool.TryAllocateNext(out _));

        Assert.Equal(IPAddress.Parse("192.168.200.1"), first);
        Assert.Equal(IPAddress.Parse("192.168.200.2"), second);
        Assert.Equal((UInt128)2, pool.Capacity);
    }

    [Theory]
    [InlineData("192.168.200.0/30", "192.168.200.0", false)]
    [InlineData("192.168.200.0/30", "192.168.200.3", false)]
    [InlineData("192.168.200.0/30", "192.168.200.2", true)]
    [InlineData("192.168.200.0/30", "192.168.201.1", false)]
    [InlineData("192.168.200.0/31", "192.168.200.0", true)]
    [InlineData("192.168.200.0/31", "192.168.200.1", true)]
    [InlineData("192.168.200.7/32", "192.168.200.7", true)]
    [InlineData("fd00:10::/120", "fd00:10::", false)]
    [InlineData("fd00:10::/120", "fd00:10::ff", true)]
    [InlineData("192.168.200.0/30", "fd00:10::1", false)]
    public void Contains_NetworkAndBroadcastOfLargerPools_AreNotHandedOut(string network, string address, bool expected)
    {
        var pool = new AddressPool(IPNetwork.Parse(network));

        Assert.Equal(expected, pool.Contains(IPAddress.Parse(address)));
    }

    [Fact]
    public void Release_FreedAddress_IsTheNextOneHandedOut()
    {
        var pool = new AddressPool(IPNetwork.Parse("10.0.0.0/29"));
        Assert.True(pool.Occupy(IPAddress.Parse("10.0.0.1")));
        Assert.True(pool.TryAllocateNext(out IPAddress second));

        Assert.False(pool.Occupy(IPAddress.Parse("10.0.0.1")));
        Assert.True(pool.Release(IPAddress.Parse("10.0.0.1")));
        Assert.False(pool.Release(IPAddress.Parse("10.0.0.1")));
        Assert.True(pool.TryAllocateNext(out IPAddress again));

        Assert.Equal(IPAddress.Parse("10.0.0.2"), second);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), again);
        Assert.Equal(2, pool.InUse);
    }

    [Fact]
    public void TryAllocateNext_Slash32_HandsOutItsOneAddressOnce()
    {
        var pool = new AddressPool(IPNetwork.Parse("203.0.113.9/32"));

        Assert.True(pool.TryAllocateNext(out IPAddress only));
        Assert.False(pool.TryAllocateNext(out _));
        Assert.Equal(IPAddress.Parse("203.0.113.9"), only);
    }

    [Fact]
    public void TryAllocateNext_HugeIPv6Pool_SkipsTheAnycastAddressAndScalesWithUse()
    {
        var pool = new AddressPool(IPNetwork.Parse("fd00::/64"));

        Assert.True(pool.TryAllocateNext(out IPAddress first));
        Assert.Equal(IPAddress.Parse("fd00::1"), first);
        Assert.Equal(UInt128.One << 64, pool.Capacity + 1);
    }
}
