using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Skiff.Pki;

/// <summary>Creates the cluster CA and the certificates it signs. All keys are ECDSA P-256; time comes from the injected clock.</summary>
internal sealed class CertificateFactory
{
    public static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    public static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(365);

    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    // Certificates start a little in the past so a peer whose clock lags a few minutes does not reject them as not yet valid.
    private static readonly TimeSpan s_backdate = TimeSpan.FromMinutes(5);

    private readonly TimeProvider _timeProvider;

    public CertificateFactory(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
    }

    public X509Certificate2 CreateCertificateAuthority()
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        DateTimeOffset now = _timeProvider.GetUtcNow();
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName($"skiff-ca@{now.ToUnixTimeSeconds()}");
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now - s_backdate, now + CaLifetime);
    }

    /// <summary>A serving certificate for the API server carrying every name and address clients may dial.</summary>
    public X509Certificate2 IssueServing(X509Certificate2 ca, ServingNames names, string commonName = "kube-apiserver")
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(commonName);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        AddNames(request, names);
        return Sign(ca, request, ServerAuthOid, key);
    }

    /// <summary>A serving certificate for a public key someone else holds (an agent's kubelet CSR), for the names we choose.</summary>
    public X509Certificate2 IssueServing(X509Certificate2 ca, PublicKey publicKey, ServingNames names, string commonName)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(commonName);
        var request = new CertificateRequest(subject.Build(), publicKey, HashAlgorithmName.SHA256);
        AddNames(request, names);
        return Sign(ca, request, ServerAuthOid, key: null);
    }

    private static void AddNames(CertificateRequest request, ServingNames names)
    {
        var sans = new SubjectAlternativeNameBuilder();
        foreach (string dnsName in names.DnsNames)
        {
            sans.AddDnsName(dnsName);
        }

        foreach (IPAddress address in names.Addresses)
        {
            sans.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(sans.Build());
    }

    public X509Certificate2 IssueClient(X509Certificate2 ca, string user, string? group)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(ClientSubject(user, group), key, HashAlgorithmName.SHA256);
        return Sign(ca, request, ClientAuthOid, key);
    }

    /// <summary>Signs a certificate for a public key that someone else holds (an agent's CSR); the subject is ours, not theirs.</summary>
    public X509Certificate2 IssueClient(X509Certificate2 ca, PublicKey publicKey, string user, string? group)
    {
        var request = new CertificateRequest(ClientSubject(user, group), publicKey, HashAlgorithmName.SHA256);
        return Sign(ca, request, ClientAuthOid, key: null);
    }

    private static X500DistinguishedName ClientSubject(string user, string? group)
    {
        var subject = new X500DistinguishedNameBuilder();
        if (group is not null)
        {
            subject.AddOrganizationName(group);
        }

        subject.AddCommonName(user);
        return subject.Build();
    }

    private X509Certificate2 Sign(X509Certificate2 ca, CertificateRequest request, string usageOid, ECDsa? key)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usageOid)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));

        DateTimeOffset now = _timeProvider.GetUtcNow();
        DateTimeOffset notAfter = now + LeafLifetime;
        if (notAfter > ca.NotAfter)
        {
            notAfter = ca.NotAfter;
        }

        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number, as RFC 5280 asks
        X509Certificate2 issued = request.Create(ca, now - s_backdate, notAfter, serial);
        if (key is null)
        {
            return issued;
        }

        using (issued)
        {
            return issued.CopyWithPrivateKey(key);
        }
    }
}
