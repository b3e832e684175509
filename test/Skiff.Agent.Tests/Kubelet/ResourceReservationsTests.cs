using k8s.Models;
using Skiff.Agent.Kubelet;

namespace Skiff.Agent.Tests.Kubelet;

public sealed class ResourceReservationsTests
{
    private static readonly Dictionary<string, ResourceQuantity> Capacity = new()
    {
        ["cpu"] = new("4"),
        ["memory"] = new("8Gi"),
        ["ephemeral-storage"] = new("100Gi"),
        ["pods"] = new("110"),
    };

    [Fact]
    public void Allocatable_ReservationsAndHardEviction_AreSubtractedFromCapacity()
    {
        var allocatable = ResourceReservations.Allocatable(
            Capacity,
            ResourceReservations.ParseReservation("cpu=100m,memory=256Mi"),
            ResourceReservations.ParseReservation("cpu=400m,memory=256Mi,ephemeral-storage=10Gi"),
            EvictionThresholds.Default);

        Assert.Equal("3500m", allocatable["cpu"].ToString());
        // 8Gi − 512Mi reserved − 100Mi (memory.available<100Mi)
        Assert.Equal((8m * 1024 - 612m) * 1024 * 1024, allocatable["memory"].ToDecimal());
        // 100Gi − 10Gi − 10% of 100Gi (nodefs.available<10%)
        Assert.Equal(80m * 1024 * 1024 * 1024, allocatable["ephemeral-storage"].ToDecimal());
        Assert.Equal("110", allocatable["pods"].ToString());
    }

    [Fact]
    public void Allocatable_NothingReservedNoThresholds_EqualsCapacity()
    {
        var allocatable = ResourceReservations.Allocatable(Capacity, new Dictionary<string, ResourceQuantity>(), new Dictionary<string, ResourceQuantity>(), EvictionThresholds.None);

        Assert.Equal(Capacity.ToDictionary(kv => kv.Key, kv => kv.Value.ToString()), allocatable.ToDictionary(kv => kv.Key, kv => kv.Value.ToString()));
    }

    [Fact]
    public void Allocatable_ReservingMoreThanCapacity_IsZeroNotNegative()
    {
        var allocatable = ResourceReservations.Allocatable(
            Capacity, ResourceReservations.ParseReservation("cpu=8"), new Dictionary<string, ResourceQuantity>(), EvictionThresholds.None);

        Assert.Equal(0m, allocatable["cpu"].ToDecimal());
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("cpu=")]
    [InlineData("gpu=1")]
    [InlineData("memory=lots")]
    public void ParseReservation_Malformed_Throws(string text)
    {
        Assert.Throws<FormatException>(() => ResourceReservations.ParseReservation(text));
    }

    [Fact]
    public void EvictionThresholds_Parse_QuantitiesAndPercentages()
    {
        EvictionThresholds thresholds = EvictionThresholds.Parse("memory.available<200Mi,nodefs.available<15%,pid.available<1000");

        Assert.Equal(200m * 1024 * 1024, thresholds.Find(EvictionThresholds.MemoryAvailable)!.Amount(0));
        Assert.Equal(15m, thresholds.Find(EvictionThresholds.NodeFsAvailable)!.Amount(100));
        Assert.Equal(1000m, thresholds.Find(EvictionThresholds.PidAvailable)!.Amount(32768));
        Assert.Equal("memory.available<100Mi,nodefs.available<10%", EvictionThresholds.Default.ToString());
    }

    [Theory]
    [InlineData("memory.available")]
    [InlineData("memory.available>100Mi")]
    [InlineData("cpu.available<1")]
    [InlineData("nodefs.available<150%")]
    [InlineData("memory.available<1Mi,memory.available<2Mi")]
    public void EvictionThresholds_Malformed_Throws(string text)
    {
        Assert.Throws<FormatException>(() => EvictionThresholds.Parse(text));
    }
}
