using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Skiff.Agent.Runtime;

/// <summary>
/// The registries file (<c>--registries-file</c>), in the format of k3s's <c>/etc/rancher/k3s/registries.yaml</c>:
/// <c>mirrors</c> maps a registry (<c>docker.io</c>) to the endpoints pulls go to first, and <c>configs</c> maps a registry host
/// (<c>host:port</c>) to its credentials and TLS settings. containerd gets the mirrors and TLS settings as hosts.toml files
/// (<see cref="RegistryHosts"/>); the kubelet sends the credentials with each pull.
/// </summary>
public sealed class RegistriesFile
{
    private static readonly IDeserializer s_yaml = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();

    public Dictionary<string, RegistryMirror> Mirrors { get; set; } = [];

    public Dictionary<string, RegistryConfig> Configs { get; set; } = [];

    /// <summary>Reads <paramref name="path"/>; an absent file (or no path) is an empty configuration.</summary>
    /// <exception cref="InvalidDataException">The file is not valid registries YAML; the message says where.</exception>
    public static RegistriesFile Load(string? path)
    {
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            return new RegistriesFile();
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <exception cref="InvalidDataException">The text is not valid registries YAML.</exception>
    public static RegistriesFile Parse(string yaml, string source)
    {
        try
        {
            RegistriesFile file = s_yaml.Deserialize<RegistriesFile?>(yaml) ?? new RegistriesFile();
            file.Mirrors ??= [];
            file.Configs ??= [];
            return file;
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"registries file {source}: {e.Message} (expected 'mirrors: {{<registry>: {{endpoint: [<url>]}}}}' and 'configs: {{<host:port>: {{auth: {{username, password}}, tls: {{insecure_skip_verify, ca_file}}}}}}')", e);
        }
    }
}

/// <summary>Where pulls for one registry go first, in order; the registry itself is tried last.</summary>
public sealed class RegistryMirror
{
    public List<string> Endpoint { get; set; } = [];
}

/// <summary>Credentials and TLS settings for one registry host (<c>host:port</c>).</summary>
public sealed class RegistryConfig
{
    public RegistryAuth? Auth { get; set; }

    public RegistryTls? Tls { get; set; }
}

/// <summary>A user name and password, or <c>auth</c> (base64 of <c>user:password</c>), or an identity token.</summary>
public sealed class RegistryAuth
{
    public string? Username { get; set; }

    public string? Password { get; set; }

    public string? Auth { get; set; }

    public string? IdentityToken { get; set; }
}

/// <summary>How containerd checks the registry's certificate, and the client certificate it presents.</summary>
public sealed class RegistryTls
{
    public bool InsecureSkipVerify { get; set; }

    public string? CaFile { get; set; }

    public string? CertFile { get; set; }

    public string? KeyFile { get; set; }
}
