using System.Text.Json.Serialization;

namespace Skiff.Pki;

/// <summary>The server's answer to a join: the node's certificate and the CA that signed it, both PEM.</summary>
internal sealed record NodeCertificateResponse(
    [property: JsonPropertyName("certificate")] string Certificate,
    [property: JsonPropertyName("caCertificate")] string CaCertificate);
