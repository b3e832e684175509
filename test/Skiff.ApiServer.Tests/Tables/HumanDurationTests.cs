using Skiff.ApiServer.Tables;

namespace Skiff.ApiServer.Tests.Tables;

public sealed class HumanDurationTests
{
    [Theory]
    [InlineData(-3, "<invalid>")]
    [InlineData(-2, "<invalid>")]
    [InlineData(-1, "0s")]
    [InlineData(0, "0s")]
    [InlineData(5, "5s")]
    [InlineData(119, "119s")]
    [InlineData(120, "2m")]
    [InlineData(182, "3m2s")]
    [InlineData(599, "9m59s")]
    [InlineData(600, "10m")]
    [InlineData(3 * 3600 - 1, "179m")]
    [InlineData(3 * 3600, "3h")]
    [InlineData(3 * 3600 + 25 * 60, "3h25m")]
    [InlineData(8 * 3600, "8h")]
    [InlineData(47 * 3600 + 59 * 60, "47h")]
    [InlineData(48 * 3600, "2d")]
    [InlineData(51 * 3600, "2d3h")]
    [InlineData(8 * 86400, "8d")]
    [InlineData(729 * 86400, "729d")]
    [InlineData(730 * 86400, "2y")]
    [InlineData(731 * 86400, "2y1d")]
    [InlineData(8 * 365 * 86400, "8y")]
    public void Format_Seconds_MatchesApimachinery(long seconds, string expected)
    {
        Assert.Equal(expected, HumanDuration.Format(TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void Format_JustUnderTwoSecondsInTheFuture_IsZero()
    {
        Assert.Equal("0s", HumanDuration.Format(TimeSpan.FromMilliseconds(-1999)));
    }
}
