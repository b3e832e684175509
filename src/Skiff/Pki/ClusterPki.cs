using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Skiff.Commands;

namespace Skiff.Pki;

/// <summary>
/// Brings the data directory's PKI to the wanted state on every server start: creates what is missing, re-issues leaf
/// certificates whose names changed or that near expiry, and reuses everything else. The CA is never replaced.
/// </summary>
internal sealed partial class ClusterPki
{
    // Re-issue a leaf when less than this is left, so a server restarted now and then never serves an expired certificate.
    private static readonly TimeSpan s_renewBefore = TimeSpan.FromDays(90);

    private readonly DataDirectory _dataDirectory;
    private readonly CertificateFactory _factory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ClusterPki> _logger;

    public ClusterPki(DataDirectory dataDirectory, TimeProvider timeProvider, ILogger<ClusterPki> logger)
    {
        _dataDirectory = dataDirectory;
        _timeProvider = timeProvider;
        _factory = new CertificateFactory(timeProvider);
        _logger = logger;
    }

    /// <summary>The component identities that get client certificates, besides the node.</summary>
    public static IReadOnlyList<CertificateIdentity> ComponentIdentities { get; } =
    [
        new("admin", "admin", "system:masters"),
        new("kube-controller-manager", "system:kube-controller-manager", null),
        new("kube-scheduler", "system:kube-scheduler", null),
        new("kube-proxy", "system:kube-proxy", null),
        // The API server's identity towards kubelets; k3s puts it in system:masters so kubelets' webhook authorization allows it.
        new("apiserver", "system:apiserver", "system:masters"),
        // The API server's client certificate for kubelets' HTTPS servers (pods/log, exec, attach, portforward), named as kubeadm's.
        new(KubeletClientFileName, "system:kube-apiserver-kubelet-client", "system:masters"),
    ];

    /// <summary>The short file name of the API server's kubelet-client certificate (<c>tls/client-kube-apiserver-kubelet-client.crt</c>).</summary>
    public const string KubeletClientFileName = "kube-apiserver-kubelet-client";

    public static CertificateIdentity NodeIdentity(string nodeName) => new("node", $"system:node:{nodeName}", "system:nodes");

    public ServerCredentials Ensure(ServerOptions options, ServingNames servingNames)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(servingNames);
        _dataDirectory.EnsureServerLayout();

        X509Certificate2 ca = EnsureCa();
        string caPem = File.ReadAllText(_dataDirectory.CaCertificate);
        X509Certificate2? serving = null;
        try
        {
            serving = EnsureServing(ca, servingNames);
            foreach (CertificateIdentity identity in ComponentIdentities.Append(NodeIdentity(options.NodeName)))
            {
                EnsureClient(ca, identity).Dispose();
            }

            EnsureServiceAccountKey();
            JoinToken token = EnsureToken(caPem);
            EnsureAdminKubeconfig(options.LocalUrl, caPem);
            return new ServerCredentials(ca, caPem, serving, token);
        }
        catch
        {
            serving?.Dispose();
            ca.Dispose();
            throw;
        }
    }

    private X509Certificate2 EnsureCa()
    {
        if (File.Exists(_dataDirectory.CaCertificate) || File.Exists(_dataDirectory.CaKey))
        {
            X509Certificate2 existing = PemFiles.ReadCertificateWithKey(_dataDirectory.CaCertificate, _dataDirectory.CaKey);
            LogReusingCa(_logger, existing.Subject, existing.NotAfter);
            return existing;
        }

        X509Certificate2 created = _factory.CreateCertificateAuthority();
        PemFiles.WriteCertificateWithKey(created, _dataDirectory.CaCertificate, _dataDirectory.CaKey);
        LogCreatedCa(_logger, created.Subject, _dataDirectory.CaCertificate);
        return created;
    }

    /// <summary>
    /// The embedded agent's kubelet serving certificate (CN <c>system:node:NAME</c>) for <paramref name="names"/>, signed by
    /// <paramref name="ca"/>; reused while its names match and it is far from expiry.
    /// </summary>
    public X509Certificate2 EnsureKubeletServing(X509Certificate2 ca, string nodeName, ServingNames names) =>
        EnsureServing(ca, names, _dataDirectory.KubeletServingCertificate, _dataDirectory.KubeletServingKey, NodeIdentity(nodeName).User);

    /// <summary>The names a node's kubelet serving certificate carries: its name, host name, addresses and loopback.</summary>
    public static ServingNames KubeletNames(string nodeName, string hostName, IEnumerable<IPAddress> addresses)
    {
        var dnsNames = new SortedSet<string>(StringComparer.Ordinal) { nodeName, hostName.ToLowerInvariant(), "localhost" };
        var all = new HashSet<IPAddress>(addresses) { IPAddress.Loopback };
        return new ServingNames(
            [.. dnsNames],
            [.. all.OrderBy(a => a.AddressFamily).ThenBy(a => Convert.ToHexString(a.GetAddressBytes()), StringComparer.Ordinal)]);
    }

    private X509Certificate2 EnsureServing(X509Certificate2 ca, ServingNames wanted) =>
        EnsureServing(ca, wanted, _dataDirectory.ServingCertificate, _dataDirectory.ServingKey, "kube-apiserver");

    private X509Certificate2 EnsureServing(X509Certificate2 ca, ServingNames wanted, string certificatePath, string keyPath, string commonName)
    {
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            X509Certificate2 existing = PemFiles.ReadCertificateWithKey(certificatePath, keyPath);
            if (IsCurrent(ca, existing) && ReadNames(existing).SameAs(wanted))
            {
                return existing;
            }

            existing.Dispose();
            LogReissuing(_logger, certificatePath);
        }

        X509Certificate2 created = _factory.IssueServing(ca, wanted, commonName);
        PemFiles.WriteCertificateWithKey(created, certificatePath, keyPath);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            string names = string.Join(", ", wanted.DnsNames.Concat(wanted.Addresses.Select(a => a.ToString())));
            LogIssued(_logger, certificatePath, names);
        }
        return created;
    }

    private X509Certificate2 EnsureClient(X509Certificate2 ca, CertificateIdentity identity)
    {
        string certificatePath = _dataDirectory.ClientCertificate(identity.FileName);
        string keyPath = _dataDirectory.ClientKey(identity.FileName);
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            X509Certificate2 existing = PemFiles.ReadCertificateWithKey(certificatePath, keyPath);
            if (IsCurrent(ca, existing) && existing.SubjectName.Name == WantedSubject(identity))
            {
                return existing;
            }

            existing.Dispose();
            LogReissuing(_logger, certificatePath);
        }

        X509Certificate2 created = _factory.IssueClient(ca, identity.User, identity.Group);
        PemFiles.WriteCertificateWithKey(created, certificatePath, keyPath);
        LogIssued(_logger, certificatePath, created.Subject);
        return created;
    }

    private void EnsureServiceAccountKey()
    {
        string path = _dataDirectory.ServiceAccountKey;
        if (File.Exists(path))
        {
            try
            {
                using var existing = RSA.Create();
                existing.ImportFromPem(File.ReadAllText(path));
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                throw PemFiles.Unreadable(path, e);
            }
        }

        using var key = RSA.Create(2048);
        DataDirectory.WriteSecret(path, key.ExportRSAPrivateKeyPem() + "\n");
        LogCreatedServiceAccountKey(_logger, path);
    }

    private JoinToken EnsureToken(string caPem)
    {
        string path = _dataDirectory.Token;
        if (File.Exists(path))
        {
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw PemFiles.Unreadable(path, e);
            }

            if (!JoinToken.TryParse(text, out JoinToken? existing, out string error) || existing is null)
            {
                throw new PkiException($"{path} is present but is not a join token ({error}); remove it to create a new one");
            }

            if (existing.CaHash != JoinToken.HashCa(caPem))
            {
                throw new PkiException($"{path} names a different CA than tls/ca.crt; remove it to create a token for this CA");
            }

            return existing;
        }

        JoinToken token = JoinToken.Create(caPem);
        DataDirectory.WriteSecret(path, token + "\n");
        LogCreatedToken(_logger, path);
        return token;
    }

    private void EnsureAdminKubeconfig(Uri server, string caPem)
    {
        string certificatePath = _dataDirectory.ClientCertificate("admin");
        string wanted = KubeconfigWriter.Render(
            server, caPem, File.ReadAllText(certificatePath), File.ReadAllText(_dataDirectory.ClientKey("admin")), "skiff", "default");
        string path = _dataDirectory.AdminKubeconfig;
        if (File.Exists(path) && File.ReadAllText(path) == wanted)
        {
            return;
        }

        DataDirectory.WriteSecret(path, wanted);
        LogWroteKubeconfig(_logger, path, server);
    }

    private bool IsCurrent(X509Certificate2 ca, X509Certificate2 certificate) =>
        new CaTrust(ca).IsIssuedByCa(certificate) && certificate.NotAfter - _timeProvider.GetUtcNow().UtcDateTime > s_renewBefore;

    private static string WantedSubject(CertificateIdentity identity)
    {
        var builder = new X500DistinguishedNameBuilder();
        if (identity.Group is not null)
        {
            builder.AddOrganizationName(identity.Group);
        }

        builder.AddCommonName(identity.User);
        return builder.Build().Name;
    }

    /// <summary>The names a certificate carries, in the same canonical order <see cref="ServingNames.For"/> produces.</summary>
    public static ServingNames ReadNames(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var dnsNames = new List<string>();
        var addresses = new List<IPAddress>();
        foreach (X509SubjectAlternativeNameExtension extension in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            dnsNames.AddRange(extension.EnumerateDnsNames());
            addresses.AddRange(extension.EnumerateIPAddresses());
        }

        return new ServingNames(
            [.. dnsNames.Order(StringComparer.Ordinal)],
            [.. addresses.OrderBy(a => a.AddressFamily).ThenBy(a => Convert.ToHexString(a.GetAddressBytes()), StringComparer.Ordinal)]);
    }
}
