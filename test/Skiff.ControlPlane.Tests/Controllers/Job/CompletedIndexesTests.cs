using Skiff.ControlPlane.Controllers.Job;

namespace Skiff.ControlPlane.Tests.Controllers.Job;

public sealed class CompletedIndexesTests
{
    [Theory]
    [InlineData(new int[0], null)]
    [InlineData(new[] { 0 }, "0")]
    [InlineData(new[] { 0, 1 }, "0,1")]
    [InlineData(new[] { 0, 1, 2, 4 }, "0-2,4")]
    [InlineData(new[] { 7, 3, 5, 6, 3 }, "3,5-7")]
    public void Format_Indexes_WritesUpstreamIntervals(int[] indexes, string? expected) =>
        Assert.Equal(expected, CompletedIndexes.Format(indexes));

    [Fact]
    public void Parse_IntervalsBeyondCompletions_KeepsOnlyValidIndexes() =>
        Assert.Equal([0, 1, 2, 4, 5], CompletedIndexes.Parse("0-2,4,5-9,x", completions: 6));
}
