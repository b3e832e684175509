using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;

namespace Skiff.TestKit.Server;

/// <summary>
/// An HttpClient that trusts only the cluster CA (<c>tls/ca.crt</c>) and presents the admin client certificate from the
/// kubeconfig, so readiness is checked over the same TLS path the clients under test use.
/// </summary>
internal static class AdminHttpClient
{
    public static HttpClient Create(string dataDirectory, string kubeconfigPath, Uri baseAddress)
    {
        KubernetesClientConfiguration config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath);
        if (config.ClientCertificateData is null || config.ClientCertificateKeyData is null)
        {
            throw new InvalidOperationException($"{kubeconfigPath} carries no inline client certificate");
        }

        string certificatePem = Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateData));
        string keyPem = Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateKeyData));
        using X509Certificate2 ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dataDirectory, "tls", "ca.crt")));
        X509Certificate2 client = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [client];
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { X509CertificateLoader.LoadCertificate(ca.RawData) },
            RevocationMode = X509RevocationMode.NoCheck,
        };
        return new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(2),
        };
    }
}
