using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Encryption;

/// <summary>
/// The EncryptionConfiguration applied to store keys: which rule covers a key (<c>/core/secrets/ns/name</c> is core
/// <c>secrets</c>), sealing a value with the rule's first key, and opening a stored value with whichever key its prefix names.
/// Keys outside the catalog (allocations) and resources no rule names are stored as they are.
/// </summary>
internal sealed class EncryptionAtRest
{
    /// <summary>What every encrypted value starts with.</summary>
    public static readonly byte[] EncryptedMarker = "k8s:enc:"u8.ToArray();

    private readonly IReadOnlyList<EncryptionRule> _rules;
    private readonly FrozenDictionary<string, ResourceInfo> _resources;
    private readonly ConcurrentDictionary<string, EncryptionRule?> _ruleByPrefix = new(StringComparer.Ordinal);
    private readonly IValueEncryptor[] _allEncrypting;

    public EncryptionAtRest(IOptions<ApiServerOptions> options, ResourceCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(catalog);
        _rules = options.Value.EncryptionConfiguration?.Rules ?? [];
        var resources = new Dictionary<string, ResourceInfo>(StringComparer.Ordinal);
        foreach (ResourceInfo resource in catalog.Resources.Where(r => !r.IsVirtual))
        {
            resources.TryAdd(StorageKeys.ResourcePrefix(resource), resource);
        }

        _resources = resources.ToFrozenDictionary(StringComparer.Ordinal);
        _allEncrypting = [.. _rules.SelectMany(r => r.Encryptors).Where(e => e.Prefix.Length > 0)];
    }

    /// <summary>False when no configuration was given: the store is used as it is.</summary>
    public bool Enabled => _rules.Count > 0;

    /// <summary>The resource prefixes (<c>/core/secrets/</c>) some rule covers, for the startup rewrite.</summary>
    public IEnumerable<string> CoveredPrefixes => _resources.Keys.Where(p => RuleForPrefix(p) is not null).Order(StringComparer.Ordinal);

    /// <summary>The rule covering a key, or null.</summary>
    public EncryptionRule? RuleFor(string key) => StorageKeys.PrefixOf(key) is { } prefix ? RuleForPrefix(prefix) : null;

    /// <summary>What to store for a key's plaintext value.</summary>
    public byte[] Seal(string key, ReadOnlySpan<byte> plaintext) =>
        RuleFor(key) is { } rule ? rule.Writer.Seal(plaintext, key) : plaintext.ToArray();

    /// <summary>
    /// The plaintext of a stored value. A value no configured key can open is refused with an InternalError naming the key
    /// (never passed on as garbage).
    /// </summary>
    public ReadOnlyMemory<byte> Open(string key, ReadOnlyMemory<byte> stored)
    {
        if (stored.IsEmpty)
        {
            return stored;
        }

        EncryptionRule? rule = RuleFor(key);
        bool encrypted = stored.Span.StartsWith(EncryptedMarker);
        if (!encrypted)
        {
            // Plaintext is readable where no rule applies, or where the rule lists identity (upstream's migration path).
            if (rule is null || rule.Encryptors.Any(e => e.Prefix.Length == 0))
            {
                return stored;
            }

            throw Unreadable(key, "no matching prefix found (the value is not encrypted and the rule for it does not list the identity provider)");
        }

        IEnumerable<IValueEncryptor> candidates = rule is null ? _allEncrypting : rule.Encryptors.Where(e => e.Prefix.Length > 0).Concat(_allEncrypting);
        foreach (IValueEncryptor encryptor in candidates)
        {
            ReadOnlySpan<byte> prefix = encryptor.PrefixBytes.Span;
            if (stored.Span.StartsWith(prefix))
            {
                try
                {
                    return encryptor.Open(stored.Span[prefix.Length..], key);
                }
                catch (CryptographicException e)
                {
                    throw Unreadable(key, $"the value does not decrypt with key \"{encryptor.Prefix}\": {e.Message}");
                }
            }
        }

        throw Unreadable(key, $"no matching prefix found: the value starts with \"{PrefixOf(stored.Span)}\" and no provider in the encryption configuration has that key");
    }

    /// <summary>True when a stored value was not written with its rule's current write key (the startup rewrite redoes it).</summary>
    public bool NeedsRewrite(string key, ReadOnlySpan<byte> stored)
    {
        if (RuleFor(key) is not { } rule || stored.IsEmpty)
        {
            return false;
        }

        return rule.Writer.Prefix.Length == 0
            ? stored.StartsWith(EncryptedMarker)
            : !stored.StartsWith(rule.Writer.PrefixBytes.Span);
    }

    /// <summary>The <c>k8s:enc:provider:v1:name:</c> prefix of an encrypted value, for messages (never the secret part).</summary>
    public static string PrefixOf(ReadOnlySpan<byte> stored)
    {
        int colons = 0;
        for (int i = 0; i < stored.Length && i < 300; i++)
        {
            if (stored[i] == (byte)':' && ++colons == 5)
            {
                return Encoding.ASCII.GetString(stored[..(i + 1)]);
            }
        }

        return "k8s:enc:";
    }

    private EncryptionRule? RuleForPrefix(string prefix) => _ruleByPrefix.GetOrAdd(prefix, p =>
        _resources.TryGetValue(p, out ResourceInfo? resource) ? _rules.FirstOrDefault(r => r.Covers(resource.Group, resource.Plural)) : null);

    private static StatusException Unreadable(string key, string why) => ApiErrors.Internal($"unable to transform key \"{key}\": {why}");
}
