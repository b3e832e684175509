using System.Security.Cryptography;
using System.Text;

namespace Skiff.ApiServer.Encryption;

/// <summary>
/// Upstream's <c>aescbc</c> provider, one key: <c>k8s:enc:aescbc:v1:&lt;name&gt;:</c>, a random 16-byte IV, then the value
/// encrypted with AES-CBC and PKCS#7 padding.
/// </summary>
internal sealed class AesCbcEncryptor(string name, byte[] secret) : IValueEncryptor
{
    private const int IvSize = 16;

    public string Prefix { get; } = $"k8s:enc:aescbc:v1:{name}:";

    public ReadOnlyMemory<byte> PrefixBytes { get; } = Encoding.ASCII.GetBytes($"k8s:enc:aescbc:v1:{name}:");

    public byte[] Seal(ReadOnlySpan<byte> plaintext, string key)
    {
        ReadOnlySpan<byte> prefix = PrefixBytes.Span;
        Span<byte> iv = stackalloc byte[IvSize];
        RandomNumberGenerator.Fill(iv);
        using Aes aes = Aes.Create();
        aes.Key = secret;
        byte[] cipher = aes.EncryptCbc(plaintext, iv, PaddingMode.PKCS7);
        return [.. prefix, .. iv, .. cipher];
    }

    public byte[] Open(ReadOnlySpan<byte> sealedValue, string key)
    {
        if (sealedValue.Length < IvSize * 2 || (sealedValue.Length - IvSize) % IvSize != 0)
        {
            throw new CryptographicException("the value is not an IV followed by whole AES blocks");
        }

        using Aes aes = Aes.Create();
        aes.Key = secret;
        return aes.DecryptCbc(sealedValue[IvSize..], sealedValue[..IvSize], PaddingMode.PKCS7);
    }
}
