using Skiff.Pki;

namespace Skiff.Tests.Pki;

public sealed class JoinTokenTests
{
    [Fact]
    public void TryParse_CreatedToken_RoundTrips()
    {
        JoinToken token = JoinToken.Create("-----BEGIN CERTIFICATE-----\n...\n");

        Assert.True(JoinToken.TryParse(token.ToString(), out JoinToken? parsed, out _));
        Assert.Equal(token, parsed);
        Assert.True(token.Matches(parsed!));
    }

    [Theory]
    [InlineData("")]
    [InlineData("K10abc::server:secret")]
    [InlineData("K10aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa::server:")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa::server:secret")]
    public void TryParse_Malformed_ReturnsFalseWithReason(string text)
    {
        Assert.False(JoinToken.TryParse(text, out _, out string error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Matches_DifferentSecret_ReturnsFalse()
    {
        JoinToken token = JoinToken.Create("ca");

        Assert.False(token.Matches(token with { Secret = "00000000000000000000000000000000" }));
    }
}
