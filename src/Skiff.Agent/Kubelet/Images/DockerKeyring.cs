using System.Text;
using System.Text.Json;

namespace Skiff.Agent.Kubelet.Images;

/// <summary>
/// Credentials by registry location, looked up the way the kubelet's docker keyring does: a key is a host (a <c>*</c> may stand
/// for one dot-separated label), an optional port that must match exactly, and an optional path that must prefix the image's
/// repository; a scheme and a leading <c>/v1/</c> or <c>/v2/</c> are ignored. Longer keys are tried first. Credentials stored
/// for <c>index.docker.io</c> (as <c>docker login</c> writes them) serve images of Docker Hub.
/// </summary>
public sealed class DockerKeyring
{
    private const string DockerHubKey = "index.docker.io";

    private readonly List<(string Key, RegistryCredential Credential)> _entries = [];

    public bool IsEmpty => _entries.Count == 0;

    public void Add(string location, RegistryCredential credential)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(credential);
        if (!TrySplit(location, out string host, out string path))
        {
            return;
        }

        if (path.StartsWith("/v1/", StringComparison.Ordinal) || path.StartsWith("/v2/", StringComparison.Ordinal))
        {
            path = path[3..];
        }

        string key = path.Length > 0 && path != "/" ? host + path : host;
        _entries.Add((key, credential));
        // Reverse ordinal order puts host/namespace before host, so the most specific entry is tried first.
        _entries.Sort((a, b) => string.CompareOrdinal(b.Key, a.Key));
    }

    /// <summary>
    /// Adds the entries of a <c>kubernetes.io/dockerconfigjson</c> (<c>{"auths": {...}}</c>) or, with
    /// <paramref name="legacy"/>, a <c>kubernetes.io/dockercfg</c> (the entries at the top level) document. An entry's
    /// <c>auth</c> (base64 of <c>user:password</c>) wins over its username and password, as in Docker.
    /// </summary>
    /// <exception cref="JsonException">The document is not such JSON.</exception>
    public void AddDockerConfig(ReadOnlySpan<byte> json, bool legacy, string source)
    {
        using JsonDocument document = JsonDocument.Parse(json.ToArray());
        JsonElement auths = document.RootElement;
        if (!legacy && !auths.TryGetProperty("auths", out auths))
        {
            return;
        }

        if (auths.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("the registry entries are not a JSON object");
        }

        foreach (JsonProperty entry in auths.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            string username = String(entry.Value, "username");
            string password = String(entry.Value, "password");
            string auth = String(entry.Value, "auth");
            if (auth.Length > 0 && TryDecodeAuth(auth, out string user, out string pass))
            {
                (username, password) = (user, pass);
            }

            string token = String(entry.Value, "identitytoken");
            Add(entry.Name, new RegistryCredential(username, password, token.Length > 0 ? token : null, source));
        }
    }

    /// <summary>Every credential whose key matches <paramref name="image"/>, most specific first; empty when none does.</summary>
    public IReadOnlyList<RegistryCredential> Lookup(ImageReference image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var found = new List<RegistryCredential>();
        if (TrySplit(image.Name, out string host, out string path))
        {
            foreach ((string key, RegistryCredential credential) in _entries)
            {
                if (TrySplit(key, out string keyHost, out string keyPath) && HostsMatch(keyHost, host) && path.StartsWith(keyPath, StringComparison.Ordinal))
                {
                    found.Add(credential);
                }
            }
        }

        if (found.Count == 0 && image.Registry == ImageReference.DockerHub)
        {
            found.AddRange(_entries.Where(e => e.Key == DockerHubKey).Select(e => e.Credential));
        }

        return found;
    }

    /// <summary>Splits <c>auth</c> (base64 of <c>user:password</c>) at its first colon.</summary>
    public static bool TryDecodeAuth(string auth, out string username, out string password)
    {
        ArgumentNullException.ThrowIfNull(auth);
        username = password = "";
        try
        {
            string decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
            int colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return false;
            }

            (username, password) = (decoded[..colon], decoded[(colon + 1)..]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string String(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";

    /// <summary>
    /// A location without its scheme, split into host (with its port, as written) and path. Split by hand: a glob such as
    /// <c>*.example.com</c> is no valid URI host.
    /// </summary>
    private static bool TrySplit(string location, out string host, out string path)
    {
        int scheme = location.IndexOf("://", StringComparison.Ordinal);
        string rest = scheme >= 0 ? location[(scheme + 3)..] : location;
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        host = (slash >= 0 ? rest[..slash] : rest).ToLowerInvariant();
        path = slash >= 0 ? rest[slash..] : "";
        return host.Length > 0 && !host.Any(char.IsWhiteSpace);
    }

    /// <summary>Same number of labels, each matching (a <c>*</c> in the key's label stands for any run of characters), same port.</summary>
    private static bool HostsMatch(string pattern, string host)
    {
        (string patternName, string patternPort) = SplitPort(pattern);
        (string hostName, string hostPort) = SplitPort(host);
        if (patternPort != hostPort)
        {
            return false;
        }

        string[] patternLabels = patternName.Split('.');
        string[] hostLabels = hostName.Split('.');
        return patternLabels.Length == hostLabels.Length && patternLabels.Zip(hostLabels).All(p => Glob(p.First, p.Second));
    }

    private static (string Name, string Port) SplitPort(string host)
    {
        int colon = host.LastIndexOf(':');
        return colon > host.LastIndexOf(']') ? (host[..colon], host[(colon + 1)..]) : (host, "");
    }

    private static bool Glob(string pattern, string text)
    {
        if (pattern.Length == 0)
        {
            return text.Length == 0;
        }

        if (pattern[0] == '*')
        {
            for (int i = 0; i <= text.Length; i++)
            {
                if (Glob(pattern[1..], text[i..]))
                {
                    return true;
                }
            }

            return false;
        }

        return text.Length > 0 && (pattern[0] == '?' || pattern[0] == text[0]) && Glob(pattern[1..], text[1..]);
    }
}
