using Skiff.Commands;

namespace Skiff.Tests.Commands;

public sealed class ServerAuditEncryptionFlagsTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task RunAsync_EncryptionConfigWithShortKey_ExitsTwoNamingTheField()
    {
        string file = Write("encryption.yaml", """
            apiVersion: apiserver.config.k8s.io/v1
            kind: EncryptionConfiguration
            resources:
            - resources: [secrets]
              providers:
              - aescbc: {keys: [{name: key1, secret: c2hvcnQ=}]}
            """);

        (int code, string error) = await RunAsync("server", "--data-dir", _directory.Path, "--encryption-provider-config", file);

        Assert.Equal(2, code);
        Assert.Contains("--encryption-provider-config: resources[0].providers[0].aescbc.keys[0].secret: Invalid value", error, StringComparison.Ordinal);
        Assert.DoesNotContain("c2hvcnQ=", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_AuditPolicyWithUnknownLevel_ExitsTwoNamingTheField()
    {
        string file = Write("policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Verbose\n");

        (int code, string error) = await RunAsync("server", "--data-dir", _directory.Path, "--audit-policy-file", file, "--audit-log-path", "-");

        Assert.Equal(2, code);
        Assert.Contains("--audit-policy-file: rules[0].level: Unsupported value: \"Verbose\"", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_MissingEncryptionConfig_ExitsTwoNamingThePath()
    {
        (int code, string error) = await RunAsync("server", "--data-dir", _directory.Path, "--encryption-provider-config", "/nonexistent/encryption.yaml");

        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/encryption.yaml", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_NegativeAuditLogMaxSize_ExitsTwo()
    {
        (int code, string error) = await RunAsync("server", "--data-dir", _directory.Path, "--audit-log-maxsize", "-1");

        Assert.Equal(2, code);
        Assert.Contains("--audit-log-maxsize", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_AuditLogPathWithoutPolicy_ExitsTwoNamingTheMissingFlag()
    {
        (int code, string error) = await RunAsync("server", "--data-dir", _directory.Path, "--audit-log-path", Path.Combine(_directory.Path, "audit.log"));

        Assert.Equal(2, code);
        Assert.Contains("--audit-log-path needs --audit-policy-file", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory.Path, "audit.log")));
    }

    [Fact]
    public async Task RunAsync_AuditPolicyWithoutLogPath_ExitsTwoNamingTheMissingFlag()
    {
        string file = Write("policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n");

        (int code, string error) = await RunAsync("server", "--data-dir", _directory.Path, "--audit-policy-file", file);

        Assert.Equal(2, code);
        Assert.Contains("--audit-policy-file needs --audit-log-path", error, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_directory.Path, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task<(int Code, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await SkiffCommandLine.RunAsync(args, output, error).WaitAsync(TimeSpan.FromSeconds(30));
        return (code, error.ToString());
    }
}
