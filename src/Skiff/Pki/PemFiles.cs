using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Skiff.Pki;

/// <summary>Reads and writes certificates and keys as PEM files, turning every unreadable file into a <see cref="PkiException"/>.</summary>
internal static class PemFiles
{
    public static X509Certificate2 ReadCertificate(string path)
    {
        try
        {
            return X509Certificate2.CreateFromPem(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw Unreadable(path, e);
        }
    }

    /// <summary>A certificate together with its private key, checked to belong together.</summary>
    public static X509Certificate2 ReadCertificateWithKey(string certificatePath, string keyPath)
    {
        X509Certificate2 certificate = ReadCertificate(certificatePath);
        using (certificate)
        {
            try
            {
                return X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath), File.ReadAllText(keyPath));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                throw Unreadable(keyPath, e);
            }
        }
    }

    public static void WriteCertificateWithKey(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        DataDirectory.WriteSecret(keyPath, ExportPrivateKeyPem(certificate));
        DataDirectory.WritePublic(certificatePath, certificate.ExportCertificatePem() + "\n");
    }

    public static string ExportPrivateKeyPem(X509Certificate2 certificate)
    {
        using ECDsa? ecdsa = certificate.GetECDsaPrivateKey();
        if (ecdsa is not null)
        {
            return ecdsa.ExportPkcs8PrivateKeyPem() + "\n";
        }

        using RSA rsa = certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException("the certificate carries no private key");
        return rsa.ExportPkcs8PrivateKeyPem() + "\n";
    }

    public static PkiException Unreadable(string path, Exception inner) =>
        new($"{path} is present but cannot be used ({inner.Message}); restore it from a backup or remove it and every certificate signed with it", inner);
}
