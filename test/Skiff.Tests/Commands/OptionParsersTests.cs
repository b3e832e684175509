using Skiff.Commands;

namespace Skiff.Tests.Commands;

public sealed class OptionParsersTests
{
    [Theory]
    [InlineData("40s", 40_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2h", 7_200_000)]
    [InlineData("0", 0)]
    public void TryParseDuration_GoSyntax_Parses(string text, long milliseconds)
    {
        Assert.True(OptionParsers.TryParseDuration(text, out TimeSpan value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("40")]
    [InlineData("forty")]
    [InlineData("40s junk")]
    [InlineData("-5s")]
    public void TryParseDuration_NotADuration_Fails(string text)
    {
        Assert.False(OptionParsers.TryParseDuration(text, out _));
    }
}
