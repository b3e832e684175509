using System.Net;
using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Skiff.Commands;
using Skiff.Pki;

namespace Skiff.Tests.Pki;

[SupportedOSPlatform("linux")]
public sealed class ClusterPkiTests : IDisposable
{
    private static readonly IPAddress s_machineAddress = IPAddress.Parse("192.0.2.7");

    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Ensure_FirstStart_ServingCertificateCarriesEveryName()
    {
        using ServerCredentials credentials = Ensure();

        ServingNames names = ClusterPki.ReadNames(credentials.Serving);
        Assert.Subset(
            names.DnsNames.ToHashSet(),
            new HashSet<string> { "node-a", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local" });
        Assert.Subset(
            names.Addresses.ToHashSet(),
            new HashSet<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Parse("10.43.0.1"), s_machineAddress });
    }

    [Fact]
    public void Ensure_FirstStart_AdminCertificateIsSystemMastersSignedByCa()
    {
        using ServerCredentials credentials = Ensure();
        var data = new DataDirectory(_directory.Path);

        using X509Certificate2 admin = PemFiles.ReadCertificate(data.ClientCertificate("admin"));

        Assert.Equal("admin", admin.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.Contains("O=system:masters", admin.Subject, StringComparison.Ordinal);
        Assert.True(credentials.Trust.IsIssuedByCa(admin));
    }

    [Fact]
    public void Ensure_FirstStart_NodeCertificateNamesTheNode()
    {
        using ServerCredentials credentials = Ensure();

        using X509Certificate2 node = PemFiles.ReadCertificate(new DataDirectory(_directory.Path).ClientCertificate("node"));

        Assert.Equal("system:node:node-a", node.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.Contains("O=system:nodes", node.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public void Ensure_FirstStart_SecretsAre0600AndDirectories0700()
    {
        using ServerCredentials credentials = Ensure();
        var data = new DataDirectory(_directory.Path);
        const UnixFileMode secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;

        foreach (string path in (string[])[data.CaKey, data.ServingKey, data.ClientKey("admin"), data.ClientKey("node"), data.ServiceAccountKey, data.Token, data.AdminKubeconfig])
        {
            Assert.Equal(secret, File.GetUnixFileMode(path));
        }

        Assert.Equal(secret | UnixFileMode.UserExecute, File.GetUnixFileMode(data.TlsDirectory));
        Assert.Equal(secret | UnixFileMode.UserExecute, File.GetUnixFileMode(data.Root));
    }

    [Fact]
    public void Ensure_SecondStart_ReusesCaServingCertificateAndToken()
    {
        string thumbprint, serving, token;
        using (ServerCredentials first = Ensure())
        {
            (thumbprint, serving, token) = (first.Ca.Thumbprint, first.Serving.Thumbprint, first.Token.ToString());
        }

        using ServerCredentials second = Ensure();

        Assert.Equal(thumbprint, second.Ca.Thumbprint);
        Assert.Equal(serving, second.Serving.Thumbprint);
        Assert.Equal(token, second.Token.ToString());
    }

    [Fact]
    public void Ensure_NamesChanged_ReissuesServingCertificateButKeepsCa()
    {
        string thumbprint, serving;
        using (ServerCredentials first = Ensure())
        {
            (thumbprint, serving) = (first.Ca.Thumbprint, first.Serving.Thumbprint);
        }

        using ServerCredentials second = Ensure(domain: "example.test");

        Assert.Equal(thumbprint, second.Ca.Thumbprint);
        Assert.NotEqual(serving, second.Serving.Thumbprint);
        Assert.Contains("kubernetes.default.svc.example.test", ClusterPki.ReadNames(second.Serving).DnsNames);
    }

    [Fact]
    public void Ensure_TokenHashesCaPem()
    {
        using ServerCredentials credentials = Ensure();

        Assert.Equal(JoinToken.HashCa(File.ReadAllBytes(new DataDirectory(_directory.Path).CaCertificate)), credentials.Token.CaHash);
        Assert.Matches("^K10[0-9a-f]{64}::server:[0-9a-f]{32}$", credentials.Token.ToString());
    }

    [Fact]
    public void Ensure_CorruptCaKey_ThrowsNamingTheFile()
    {
        Ensure().Dispose();
        var data = new DataDirectory(_directory.Path);
        File.WriteAllText(data.CaKey, "not a key");

        PkiException error = Assert.Throws<PkiException>(() => Ensure());

        Assert.Contains(data.CaKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ensure_AdminKubeconfig_PointsAtLoopbackWithInlineCredentials()
    {
        using ServerCredentials credentials = Ensure();

        string kubeconfig = File.ReadAllText(new DataDirectory(_directory.Path).AdminKubeconfig);

        Assert.Contains("server: https://127.0.0.1:6443", kubeconfig, StringComparison.Ordinal);
        Assert.Contains("certificate-authority-data: ", kubeconfig, StringComparison.Ordinal);
        Assert.Contains("client-certificate-data: ", kubeconfig, StringComparison.Ordinal);
        Assert.Contains("client-key-data: ", kubeconfig, StringComparison.Ordinal);
        Assert.Contains("current-context: skiff", kubeconfig, StringComparison.Ordinal);
    }

    private ServerCredentials Ensure(string domain = "cluster.local")
    {
        var options = new ServerOptions
        {
            DataDirectory = _directory.Path,
            DatastoreEndpoint = "memory://",
            NodeName = "node-a",
            ClusterDomain = domain,
        };
        var pki = new ClusterPki(new DataDirectory(_directory.Path), _time, NullLogger<ClusterPki>.Instance);
        return pki.Ensure(options, ServingNames.For("node-a", options.ServiceCidr, domain, [s_machineAddress, IPAddress.Loopback]));
    }
}
