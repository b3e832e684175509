using System.Net;
using Skiff.ControlPlane.Controllers.NodeIpam;

namespace Skiff.ControlPlane.Tests.Controllers.NodeIpam;

public sealed class CidrSetTests
{
    [Fact]
    public void TryAllocateNext_DefaultMask_HandsOutDistinctSlash24sInOrder()
    {
        var set = new CidrSet(IPNetwork.Parse("10.42.0.0/16"), 24);

        Assert.True(set.TryAllocateNext(out IPNetwork first));
        Assert.True(set.TryAllocateNext(out IPNetwork second));

        Assert.Equal(IPNetwork.Parse("10.42.0.0/24"), first);
        Assert.Equal(IPNetwork.Parse("10.42.1.0/24"), second);
        Assert.Equal(256, set.Capacity);
    }

    [Fact]
    public void TryAllocateNext_AllTaken_FailsUntilOneIsReleased()
    {
        var set = new CidrSet(IPNetwork.Parse("10.99.0.0/23"), 24);
        Assert.True(set.TryAllocateNext(out IPNetwork a));
        Assert.True(set.TryAllocateNext(out _));

        Assert.False(set.TryAllocateNext(out _));
        Assert.True(set.Release(a));
        Assert.True(set.TryAllocateNext(out IPNetwork again));

        Assert.Equal(a, again);
    }

    [Fact]
    public void TryAllocateNext_AfterOccupy_SkipsCidrsExistingNodesHold()
    {
        var set = new CidrSet(IPNetwork.Parse("10.42.0.0/16"), 24);
        Assert.True(set.Occupy(IPNetwork.Parse("10.42.0.0/24")));
        Assert.True(set.Occupy(IPNetwork.Parse("10.42.1.0/24")));

        Assert.True(set.TryAllocateNext(out IPNetwork next));

        Assert.Equal(IPNetwork.Parse("10.42.2.0/24"), next);
        Assert.Equal(3, set.Allocated);
    }

    [Fact]
    public void Occupy_OutsideClusterCidr_IsRefused()
    {
        var set = new CidrSet(IPNetwork.Parse("10.42.0.0/16"), 24);

        Assert.False(set.Occupy(IPNetwork.Parse("192.168.0.0/24")));
        Assert.Equal(0, set.Allocated);
    }

    [Fact]
    public void TryAllocateNext_Released_IsNotReusedBeforeTheRangeWrapsAround()
    {
        var set = new CidrSet(IPNetwork.Parse("10.42.0.0/22"), 24);
        Assert.True(set.TryAllocateNext(out IPNetwork a));
        Assert.True(set.Release(a));

        Assert.True(set.TryAllocateNext(out IPNetwork next));

        Assert.Equal(IPNetwork.Parse("10.42.1.0/24"), next);
    }

    [Fact]
    public void TryAllocateNext_Ipv6_CutsSlash64s()
    {
        var set = new CidrSet(IPNetwork.Parse("fd00:42::/56"), 64);

        Assert.True(set.TryAllocateNext(out _));
        Assert.True(set.TryAllocateNext(out IPNetwork second));

        Assert.Equal(IPNetwork.Parse("fd00:42:0:1::/64"), second);
    }

    [Theory]
    [InlineData("10.42.0.0/16", 8)]
    [InlineData("10.42.0.0/16", 33)]
    [InlineData("10.0.0.0/8", 25)]
    public void Problem_MaskThatCannotCutTheClusterCidr_IsNamed(string cidr, int mask)
    {
        Assert.NotNull(CidrSet.Problem(IPNetwork.Parse(cidr), mask));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CidrSet(IPNetwork.Parse(cidr), mask));
    }
}
