namespace Skiff.Pki;

/// <summary>A client identity as Kubernetes reads it from a certificate: the user is the CN, the group the O.</summary>
/// <param name="FileName">The short name of the files under <c>tls/</c> (<c>client-NAME.crt</c>).</param>
/// <param name="User">The common name.</param>
/// <param name="Group">The organization, or null for none.</param>
internal sealed record CertificateIdentity(string FileName, string User, string? Group);
