using Skiff.Agent.Runtime;

namespace Skiff.Agent.Tests.Runtime;

/// <summary>The registries file (k3s's registries.yaml) and the containerd hosts.toml files rendered from it.</summary>
public sealed class RegistryHostsTests
{
    private const string Yaml = """
        mirrors:
          docker.io:
            endpoint:
              - "http://127.0.0.1:5000"
              - "mirror.example.com"
        configs:
          "mirror.example.com":
            auth:
              username: alice
              password: s3cret
            tls:
              insecure_skip_verify: true
              ca_file: /etc/ssl/mirror-ca.pem
          "registry.example.com:8443":
            tls:
              ca_file: /etc/ssl/registry-ca.pem
              cert_file: /etc/ssl/client.pem
              key_file: /etc/ssl/client-key.pem
        """;

    [Fact]
    public void Render_MirrorsAndTlsConfigs_OneHostsTomlPerRegistry()
    {
        IReadOnlyDictionary<string, string> files = RegistryHosts.Render(RegistriesFile.Parse(Yaml, "test"));

        // The mirror has TLS settings of its own, so pulls that name it directly use them too.
        Assert.Equal(["docker.io", "mirror.example.com", "registry.example.com:8443"], files.Keys);
        Assert.Equal(
            "server = \"https://mirror.example.com\"\nskip_verify = true\nca = \"/etc/ssl/mirror-ca.pem\"\n",
            files["mirror.example.com"].ReplaceLineEndings("\n"));
        Assert.Equal(
            """
            server = "https://registry-1.docker.io"

            [host."http://127.0.0.1:5000"]
              capabilities = ["pull", "resolve"]

            [host."https://mirror.example.com"]
              capabilities = ["pull", "resolve"]
              skip_verify = true
              ca = "/etc/ssl/mirror-ca.pem"

            """.ReplaceLineEndings("\n"),
            files["docker.io"].ReplaceLineEndings("\n"));
        Assert.Equal(
            """
            server = "https://registry.example.com:8443"
            ca = "/etc/ssl/registry-ca.pem"
            client = [["/etc/ssl/client.pem", "/etc/ssl/client-key.pem"]]

            """.ReplaceLineEndings("\n"),
            files["registry.example.com:8443"].ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Parse_AuthAndTls_ReadsK3sFieldNames()
    {
        RegistriesFile file = RegistriesFile.Parse(Yaml, "test");

        RegistryConfig mirror = file.Configs["mirror.example.com"];
        Assert.Equal(("alice", "s3cret"), (mirror.Auth?.Username, mirror.Auth?.Password));
        Assert.True(mirror.Tls?.InsecureSkipVerify);
        Assert.Equal(["http://127.0.0.1:5000", "mirror.example.com"], file.Mirrors["docker.io"].Endpoint);
    }

    [Fact]
    public void Parse_NotRegistriesYaml_SaysWhichFileAndWhatIsExpected()
    {
        var e = Assert.Throws<InvalidDataException>(() => RegistriesFile.Parse("mirrors: [1, 2]", "/etc/skiff/registries.yaml"));

        Assert.Contains("/etc/skiff/registries.yaml", e.Message, StringComparison.Ordinal);
        Assert.Contains("endpoint", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:5000", true)]
    [InlineData("127.3.4.5:31000", true)]
    [InlineData("localhost:5000", true)]
    [InlineData("localhost", true)]
    [InlineData("[::1]:5000", true)]
    [InlineData("10.0.0.1:5000", false)]
    [InlineData("registry.example.com", false)]
    [InlineData("localhost.example.com:5000", false)]
    public void IsLoopback_Registry_PlainHttpWithoutConfiguration(string registry, bool loopback)
    {
        Assert.Equal(loopback, RegistryHosts.IsLoopback(registry));
    }
}
