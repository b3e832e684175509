namespace Skiff.ApiServer.Encryption;

/// <summary>
/// One key of one provider (or the identity provider): turns a stored value's plaintext into what the store keeps and back.
/// Stored values carry <see cref="Prefix"/> (upstream's <c>k8s:enc:&lt;provider&gt;:v1:&lt;key name&gt;:</c>) so a read finds
/// the key that wrote them.
/// </summary>
internal interface IValueEncryptor
{
    /// <summary>What values this encryptor wrote start with; empty for identity.</summary>
    string Prefix { get; }

    /// <summary><see cref="Prefix"/> as the ASCII bytes stored values start with, computed once (every read compares it).</summary>
    ReadOnlyMemory<byte> PrefixBytes { get; }

    /// <summary>The bytes to store: <see cref="Prefix"/> followed by the sealed value. <paramref name="key"/> is the store key.</summary>
    byte[] Seal(ReadOnlySpan<byte> plaintext, string key);

    /// <summary>The plaintext of a stored value (its prefix already removed); throws CryptographicException when it does not open.</summary>
    byte[] Open(ReadOnlySpan<byte> sealedValue, string key);
}
