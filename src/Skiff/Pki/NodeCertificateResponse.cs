using System.Text.Json.Serialization;

namespace Skiff.Pki;

/// <summary>The server's answer to a join: the node's certificate, the CA that signed it and, when asked for, the kubelet serving certificate, all PEM.</summary>
internal sealed record NodeCertificateResponse(
    [property: JsonPropertyName("certificate")] string Certificate,
    [property: JsonPropertyName("caCertificate")] string CaCertificate,
    [property: JsonPropertyName("servingCertificate")] string? ServingCertificate = null);
