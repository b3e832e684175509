using System.Security.Cryptography.X509Certificates;

namespace Skiff.Pki;

/// <summary>What the running server needs from the PKI: the CA (with its key, to sign agents' CSRs), the serving certificate and the join token.</summary>
internal sealed class ServerCredentials : IDisposable
{
    public ServerCredentials(X509Certificate2 ca, string caPem, X509Certificate2 serving, JoinToken token)
    {
        Ca = ca;
        CaPem = caPem;
        Serving = serving;
        Token = token;
        Trust = new CaTrust(ca);
    }

    public X509Certificate2 Ca { get; }

    /// <summary>The exact bytes of <c>tls/ca.crt</c>, whose SHA-256 is in the token.</summary>
    public string CaPem { get; }

    public X509Certificate2 Serving { get; }

    public JoinToken Token { get; }

    public CaTrust Trust { get; }

    public void Dispose()
    {
        Ca.Dispose();
        Serving.Dispose();
    }
}
