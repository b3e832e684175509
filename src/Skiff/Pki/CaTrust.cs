using System.Security.Cryptography.X509Certificates;

namespace Skiff.Pki;

/// <summary>Trusts exactly one CA: a certificate is accepted only when it chains to it, whatever the system store holds.</summary>
internal sealed class CaTrust
{
    private readonly X509Certificate2 _ca;

    public CaTrust(X509Certificate2 ca)
    {
        _ca = ca;
    }

    public bool IsIssuedByCa(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        // Our CA publishes no CRL or OCSP responder; revocation is by rotating the CA.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (!chain.Build(certificate))
        {
            return false;
        }

        // The chain must end at our CA itself, not at some other root that happens to be in the store.
        X509ChainElement root = chain.ChainElements[^1];
        return root.Certificate.RawDataMemory.Span.SequenceEqual(_ca.RawDataMemory.Span);
    }
}
