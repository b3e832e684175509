using Skiff.ApiServer.Encryption;

namespace Skiff.ApiServer.Tests.Encryption;

public sealed class EncryptionConfigurationTests
{
    private const string Header = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n";

    [Fact]
    public void Parse_UpstreamExample_ReadsRulesInOrder()
    {
        EncryptionConfiguration configuration = EncryptionConfiguration.Parse(Header + """
            resources:
            - resources: [secrets, configmaps]
              providers:
              - aesgcm:
                  keys:
                  - name: key1
                    secret: c2VjcmV0IGlzIHNlY3VyZQ==
              - aescbc:
                  keys:
                  - name: key2
                    secret: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
              - identity: {}
            - resources: ["*.apps"]
              providers:
              - identity: {}
            """);

        EncryptionRule first = configuration.Rules[0];
        Assert.Equal(["k8s:enc:aesgcm:v1:key1:", "k8s:enc:aescbc:v1:key2:", string.Empty], first.Encryptors.Select(e => e.Prefix));
        Assert.True(first.Covers(string.Empty, "configmaps"));
        Assert.False(first.Covers("apps", "secrets"));
        Assert.True(configuration.Rules[1].Covers("apps", "deployments"));
    }

    [Theory]
    [InlineData("kind: Other\n", "apiVersion/kind")]
    [InlineData(Header + "resources: []\n", "resources: Required value")]
    [InlineData(Header + "resources:\n- providers: [{identity: {}}]\n", "resources[0].resources: Required value")]
    [InlineData(Header + "resources:\n- resources: [secrets]\n", "resources[0].providers: Required value")]
    [InlineData(Header + "resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: k\n        secret: c2hvcnQ=\n",
        "resources[0].providers[0].aescbc.keys[0].secret: Invalid value: \"REDACTED\": secret is not of the expected length, got 5")]
    [InlineData(Header + "resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: k\n        secret: '***'\n",
        "resources[0].providers[0].aescbc.keys[0].secret: Invalid value: \"REDACTED\": secrets must be base64 encoded")]
    [InlineData(Header + "resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys: []\n", "resources[0].providers[0].aesgcm.keys: Required value")]
    [InlineData(Header + "resources:\n- resources: [secrets]\n  providers:\n  - secretbox:\n      keys: []\n", "resources[0].providers[0].secretbox: Unsupported value")]
    [InlineData(Header + "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n    aescbc: {}\n", "resources[0].providers[0]: Invalid value: exactly one provider")]
    [InlineData(Header + "resources:\n- resources: [Secrets]\n  providers:\n  - identity: {}\n", "resources[0].resources[0]: Invalid value: \"Secrets\"")]
    [InlineData(Header + "resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: 'a:b'\n        secret: c2VjcmV0IGlzIHNlY3VyZQ==\n",
        "resources[0].providers[0].aescbc.keys[0].name: Invalid value: \"a:b\": should not contain ':'")]
    public void Parse_BadField_RefusesNamingTheField(string yaml, string expected)
    {
        EncryptionConfigurationException error = Assert.Throws<EncryptionConfigurationException>(() => EncryptionConfiguration.Parse(yaml));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_RefusesNamingThePath()
    {
        EncryptionConfigurationException error = Assert.Throws<EncryptionConfigurationException>(() => EncryptionConfiguration.Load("/nonexistent/encryption.yaml"));

        Assert.Contains("/nonexistent/encryption.yaml", error.Message, StringComparison.Ordinal);
    }
}
