using System.Text.Json.Nodes;
using Skiff.ApiServer.Endpoints;
using YamlDotNet.Core;

namespace Skiff.ApiServer.Encryption;

/// <summary>
/// A parsed and checked <c>apiserver.config.k8s.io/v1</c> EncryptionConfiguration (<c>--encryption-provider-config</c>):
/// rules of resources and providers (aescbc, aesgcm, identity). Anything unusable is refused with a message naming the field.
/// </summary>
public sealed class EncryptionConfiguration
{
    private static readonly int[] s_aesKeySizes = [16, 24, 32];

    private EncryptionConfiguration(IReadOnlyList<EncryptionRule> rules) => Rules = rules;

    /// <summary>The rules in file order; for a resource the first rule naming it applies.</summary>
    internal IReadOnlyList<EncryptionRule> Rules { get; }

    /// <summary>Reads and checks a file.</summary>
    /// <exception cref="EncryptionConfigurationException">The file is missing or a field is wrong.</exception>
    public static EncryptionConfiguration Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EncryptionConfigurationException($"cannot read {path}: {e.Message}", e);
        }

        return Parse(text);
    }

    /// <summary>Parses and checks the YAML (or JSON) text of a configuration.</summary>
    /// <exception cref="EncryptionConfigurationException">A field is wrong.</exception>
    public static EncryptionConfiguration Parse(string yaml)
    {
        JsonObject root;
        try
        {
            root = YamlToJson.Convert(yaml) as JsonObject ?? throw new EncryptionConfigurationException("the file is not a YAML object");
        }
        catch (YamlException e)
        {
            throw new EncryptionConfigurationException($"the file is not valid YAML: {e.Message}", e);
        }

        string? apiVersion = Text(root["apiVersion"]);
        string? kind = Text(root["kind"]);
        if (apiVersion != "apiserver.config.k8s.io/v1" || kind != "EncryptionConfiguration")
        {
            throw new EncryptionConfigurationException(
                $"apiVersion/kind: Invalid value: \"{apiVersion}/{kind}\": expected apiserver.config.k8s.io/v1 EncryptionConfiguration");
        }

        if (root["resources"] is not JsonArray { Count: > 0 } resources)
        {
            throw new EncryptionConfigurationException("resources: Required value: at least one resource rule is needed");
        }

        var rules = new List<EncryptionRule>();
        for (int i = 0; i < resources.Count; i++)
        {
            rules.Add(ParseRule(resources[i] as JsonObject, $"resources[{i}]"));
        }

        return new EncryptionConfiguration(rules);
    }

    private static EncryptionRule ParseRule(JsonObject? rule, string path)
    {
        if (rule?["resources"] is not JsonArray { Count: > 0 } names)
        {
            throw new EncryptionConfigurationException($"{path}.resources: Required value: list the resources to encrypt (for example secrets)");
        }

        var resources = new List<string>();
        for (int i = 0; i < names.Count; i++)
        {
            string? name = Text(names[i]);
            if (string.IsNullOrWhiteSpace(name) || name.Any(char.IsUpper) || name == "*" || name.Contains(' ', StringComparison.Ordinal))
            {
                throw new EncryptionConfigurationException(
                    $"{path}.resources[{i}]: Invalid value: \"{name}\": expected a lower-case resource (secrets), resource.group, *.group, *. (the core group) or *.*");
            }

            resources.Add(name);
        }

        if (rule["providers"] is not JsonArray { Count: > 0 } providers)
        {
            throw new EncryptionConfigurationException($"{path}.providers: Required value: at least one provider (aescbc, aesgcm or identity) is needed");
        }

        var encryptors = new List<IValueEncryptor>();
        for (int i = 0; i < providers.Count; i++)
        {
            encryptors.AddRange(ParseProvider(providers[i] as JsonObject, $"{path}.providers[{i}]"));
        }

        return new EncryptionRule(resources, encryptors);
    }

    private static List<IValueEncryptor> ParseProvider(JsonObject? provider, string path)
    {
        if (provider is null || provider.Count != 1)
        {
            throw new EncryptionConfigurationException($"{path}: Invalid value: exactly one provider (aescbc, aesgcm or identity) must be given per entry");
        }

        (string type, JsonNode? settings) = provider.First();
        switch (type)
        {
            case "identity":
                return [new IdentityEncryptor()];
            case "aescbc":
            case "aesgcm":
                return ParseKeys(settings as JsonObject, $"{path}.{type}", type);
            case "secretbox" or "kms":
                throw new EncryptionConfigurationException($"{path}.{type}: Unsupported value: Skiff supports the aescbc, aesgcm and identity providers");
            default:
                throw new EncryptionConfigurationException($"{path}.{type}: Unsupported value: \"{type}\": supported values: \"aescbc\", \"aesgcm\", \"identity\"");
        }
    }

    private static List<IValueEncryptor> ParseKeys(JsonObject? settings, string path, string type)
    {
        if (settings?["keys"] is not JsonArray { Count: > 0 } keys)
        {
            throw new EncryptionConfigurationException($"{path}.keys: Required value: at least one key is needed");
        }

        var result = new List<IValueEncryptor>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Count; i++)
        {
            string keyPath = $"{path}.keys[{i}]";
            string? name = Text(keys[i]?["name"]);
            if (string.IsNullOrEmpty(name))
            {
                throw new EncryptionConfigurationException($"{keyPath}.name: Required value: key names must be given");
            }

            if (name.Contains(':', StringComparison.Ordinal))
            {
                throw new EncryptionConfigurationException($"{keyPath}.name: Invalid value: \"{name}\": should not contain ':'");
            }

            if (!names.Add(name))
            {
                throw new EncryptionConfigurationException($"{keyPath}.name: Duplicate value: \"{name}\"");
            }

            string? encoded = Text(keys[i]?["secret"]);
            if (string.IsNullOrEmpty(encoded))
            {
                throw new EncryptionConfigurationException($"{keyPath}.secret: Required value: secrets must be given");
            }

            byte[] secret;
            try
            {
                secret = Convert.FromBase64String(encoded);
            }
            catch (FormatException)
            {
                throw new EncryptionConfigurationException($"{keyPath}.secret: Invalid value: \"REDACTED\": secrets must be base64 encoded");
            }

            if (!s_aesKeySizes.Contains(secret.Length))
            {
                throw new EncryptionConfigurationException(
                    $"{keyPath}.secret: Invalid value: \"REDACTED\": secret is not of the expected length, got {secret.Length}, expected one of [16 24 32]");
            }

            result.Add(type == "aescbc" ? new AesCbcEncryptor(name, secret) : new AesGcmEncryptor(name, secret));
        }

        return result;
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : null;
}
