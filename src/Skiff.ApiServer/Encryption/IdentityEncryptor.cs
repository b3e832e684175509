namespace Skiff.ApiServer.Encryption;

/// <summary>Upstream's <c>identity</c> provider: values are stored as they are (plaintext JSON).</summary>
internal sealed class IdentityEncryptor : IValueEncryptor
{
    public string Prefix => string.Empty;

    public ReadOnlyMemory<byte> PrefixBytes => ReadOnlyMemory<byte>.Empty;

    public byte[] Seal(ReadOnlySpan<byte> plaintext, string key) => plaintext.ToArray();

    public byte[] Open(ReadOnlySpan<byte> sealedValue, string key) => sealedValue.ToArray();
}
