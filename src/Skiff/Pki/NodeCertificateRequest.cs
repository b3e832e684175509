using System.Text.Json.Serialization;

namespace Skiff.Pki;

/// <summary>An agent's join request: the node it wants to be and a PEM CSR for its own key.</summary>
internal sealed record NodeCertificateRequest(
    [property: JsonPropertyName("nodeName")] string NodeName,
    [property: JsonPropertyName("csr")] string Csr);
