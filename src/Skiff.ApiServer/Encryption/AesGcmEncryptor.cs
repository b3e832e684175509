using System.Security.Cryptography;
using System.Text;

namespace Skiff.ApiServer.Encryption;

/// <summary>
/// Upstream's <c>aesgcm</c> provider, one key: <c>k8s:enc:aesgcm:v1:&lt;name&gt;:</c>, a random 12-byte nonce, then the
/// ciphertext and its 16-byte tag. The store key is the additional authenticated data (as upstream uses the etcd key), so a
/// value copied to another key does not open.
/// </summary>
internal sealed class AesGcmEncryptor(string name, byte[] secret) : IValueEncryptor
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public string Prefix { get; } = $"k8s:enc:aesgcm:v1:{name}:";

    public ReadOnlyMemory<byte> PrefixBytes { get; } = Encoding.ASCII.GetBytes($"k8s:enc:aesgcm:v1:{name}:");

    public byte[] Seal(ReadOnlySpan<byte> plaintext, string key)
    {
        ReadOnlySpan<byte> prefix = PrefixBytes.Span;
        byte[] result = new byte[prefix.Length + NonceSize + plaintext.Length + TagSize];
        prefix.CopyTo(result);
        Span<byte> nonce = result.AsSpan(prefix.Length, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(secret, TagSize);
        gcm.Encrypt(
            nonce,
            plaintext,
            result.AsSpan(prefix.Length + NonceSize, plaintext.Length),
            result.AsSpan(prefix.Length + NonceSize + plaintext.Length, TagSize),
            Encoding.UTF8.GetBytes(key));
        return result;
    }

    public byte[] Open(ReadOnlySpan<byte> sealedValue, string key)
    {
        if (sealedValue.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("the value is shorter than a nonce and a tag");
        }

        byte[] plaintext = new byte[sealedValue.Length - NonceSize - TagSize];
        using var gcm = new AesGcm(secret, TagSize);
        gcm.Decrypt(sealedValue[..NonceSize], sealedValue[NonceSize..^TagSize], sealedValue[^TagSize..], plaintext, Encoding.UTF8.GetBytes(key));
        return plaintext;
    }
}
