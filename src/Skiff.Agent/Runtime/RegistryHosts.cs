using System.Globalization;
using System.Net;
using System.Text;

namespace Skiff.Agent.Runtime;

/// <summary>
/// Renders containerd's per-registry <c>hosts.toml</c> files (under the CRI plugin's <c>registry.config_path</c>) from the
/// registries file: a mirrored registry gets one <c>[host."endpoint"]</c> section per endpoint, in order, with the endpoint's
/// TLS settings, and keeps the registry itself as <c>server</c> (tried last); a configured host gets its TLS settings. An
/// endpoint without a scheme is plain HTTP on loopback, HTTPS elsewhere. containerd rereads these files at every pull.
/// </summary>
public static class RegistryHosts
{
    public const string FileName = "hosts.toml";

    /// <summary>The hosts.toml text per registry directory name (the registry host, with its port).</summary>
    public static IReadOnlyDictionary<string, string> Render(RegistriesFile registries)
    {
        ArgumentNullException.ThrowIfNull(registries);
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach ((string registry, RegistryMirror mirror) in registries.Mirrors)
        {
            var sb = new StringBuilder();
            Server(sb, registry, registries);
            foreach (string endpoint in mirror.Endpoint ?? [])
            {
                string url = WithScheme(endpoint);
                sb.AppendLine();
                sb.AppendLine(CultureInfo.InvariantCulture, $"[host.\"{Escape(url)}\"]");
                sb.AppendLine("  capabilities = [\"pull\", \"resolve\"]");
                Tls(sb, "  ", Config(registries, HostOf(url))?.Tls);
            }

            files[registry] = sb.ToString();
        }

        foreach ((string host, RegistryConfig config) in registries.Configs)
        {
            if (!files.ContainsKey(host) && config?.Tls is not null)
            {
                var sb = new StringBuilder();
                Server(sb, host, registries);
                files[host] = sb.ToString();
            }
        }

        return files;
    }

    /// <summary>A hosts.toml that sends pulls for <paramref name="registry"/> over plain HTTP.</summary>
    public static string PlainHttp(string registry) =>
        $"server = \"http://{Escape(registry)}\"\n\n[host.\"http://{Escape(registry)}\"]\n  capabilities = [\"pull\", \"resolve\"]\n";

    /// <summary>Writes every rendered file under <paramref name="configDir"/>; other registries' files are left alone.</summary>
    public static void Write(string configDir, RegistriesFile registries)
    {
        ArgumentNullException.ThrowIfNull(configDir);
        foreach ((string registry, string toml) in Render(registries))
        {
            string dir = Path.Combine(configDir, registry);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, FileName), toml);
        }
    }

    private static void Server(StringBuilder sb, string registry, RegistriesFile registries)
    {
        string server = registry == "docker.io" ? "https://registry-1.docker.io" : WithScheme(registry);
        sb.AppendLine(CultureInfo.InvariantCulture, $"server = \"{Escape(server)}\"");
        Tls(sb, "", Config(registries, registry)?.Tls);
    }

    private static void Tls(StringBuilder sb, string indent, RegistryTls? tls)
    {
        if (tls is null)
        {
            return;
        }

        if (tls.InsecureSkipVerify)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{indent}skip_verify = true");
        }

        if (!string.IsNullOrEmpty(tls.CaFile))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{indent}ca = \"{Escape(tls.CaFile)}\"");
        }

        if (!string.IsNullOrEmpty(tls.CertFile))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{indent}client = [[\"{Escape(tls.CertFile)}\", \"{Escape(tls.KeyFile ?? "")}\"]]");
        }
    }

    private static RegistryConfig? Config(RegistriesFile registries, string host) =>
        registries.Configs.TryGetValue(host, out RegistryConfig? config) ? config : null;

    /// <summary>An endpoint or registry as a URL: as written when it has a scheme, else plain HTTP on loopback and HTTPS elsewhere.</summary>
    public static string WithScheme(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.Contains("://", StringComparison.Ordinal))
        {
            return endpoint;
        }

        return (IsLoopback(endpoint) ? "http://" : "https://") + endpoint;
    }

    /// <summary>The host and port of a URL, as the configs of the registries file name it.</summary>
    public static string HostOf(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        string rest = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash >= 0 ? rest[..slash] : rest;
    }

    /// <summary>127.0.0.0/8, <c>localhost</c> or <c>[::1]</c>, with or without a port.</summary>
    public static bool IsLoopback(string registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        string host = HostOf(registry);
        if (host.StartsWith('['))
        {
            int end = host.IndexOf(']', StringComparison.Ordinal);
            host = end > 0 ? host[1..end] : host;
        }
        else if (host.Count(c => c == ':') == 1)
        {
            host = host[..host.IndexOf(':', StringComparison.Ordinal)];
        }

        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out IPAddress? address) && IPAddress.IsLoopback(address));
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
