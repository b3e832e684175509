using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Skiff.Pki;

/// <summary>
/// The k3s-style join token <c>K10&lt;sha256 of the CA PEM&gt;::server:&lt;secret&gt;</c>. The hash lets an agent check the CA it
/// downloads before trusting it; the secret authenticates the agent to the server.
/// </summary>
internal sealed record JoinToken(string CaHash, string Secret)
{
    private const string Prefix = "K10";
    private const string Separator = "::server:";

    /// <summary>A token for this CA with a fresh 128-bit secret.</summary>
    public static JoinToken Create(string caCertificatePem) =>
        new(HashCa(caCertificatePem), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));

    public static string HashCa(string caCertificatePem) => HashCa(Encoding.UTF8.GetBytes(caCertificatePem));

    public static string HashCa(ReadOnlySpan<byte> caCertificatePem) => Convert.ToHexStringLower(SHA256.HashData(caCertificatePem));

    public static bool TryParse(string? text, out JoinToken? token, out string error)
    {
        token = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            error = "the token does not start with K10; copy it whole from <data-dir>/token on the server";
            return false;
        }

        int separator = text.IndexOf(Separator, StringComparison.Ordinal);
        string hash = separator < 0 ? string.Empty : text[Prefix.Length..separator];
        string secret = separator < 0 ? string.Empty : text[(separator + Separator.Length)..];
        if (hash.Length != 64 || !IsLowerHex(hash))
        {
            error = "the token's CA hash is not 64 hex characters; the token is K10<sha256>::server:<secret>";
            return false;
        }

        if (secret.Length == 0 || secret.Any(char.IsWhiteSpace))
        {
            error = "the token has no secret after ::server:";
            return false;
        }

        token = new JoinToken(hash, secret);
        error = string.Empty;
        return true;
    }

    /// <summary>Compares the secret in constant time so response timing reveals nothing about it.</summary>
    public bool Matches(JoinToken other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(other.Secret))
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(CaHash), Encoding.UTF8.GetBytes(other.CaHash));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{CaHash}{Separator}{Secret}");

    private static bool IsLowerHex(string value) => value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
