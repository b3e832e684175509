namespace Skiff.ApiServer.Encryption;

/// <summary>
/// One entry of <c>resources</c>: which resources it covers (<c>secrets</c>, <c>deployments.apps</c>, <c>*.apps</c>, <c>*.</c> for
/// the core group, <c>*.*</c>) and its providers' keys in order. The first key writes; any of them reads.
/// </summary>
internal sealed record EncryptionRule(IReadOnlyList<string> Resources, IReadOnlyList<IValueEncryptor> Encryptors)
{
    /// <summary>The key new values are written with (the first provider's first key).</summary>
    public IValueEncryptor Writer => Encryptors[0];

    /// <summary>True when the rule names this resource (group "" is the core group).</summary>
    public bool Covers(string group, string resource) => Resources.Any(pattern =>
        pattern == "*.*"
        || pattern == (group.Length == 0 ? resource : $"{resource}.{group}")
        || pattern == $"*.{group}");
}
