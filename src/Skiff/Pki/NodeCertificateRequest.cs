using System.Text.Json.Serialization;

namespace Skiff.Pki;

/// <summary>
/// An agent's join request: the node it wants to be and a PEM CSR for its own key; optionally a second CSR for its kubelet
/// serving certificate, with the host name and addresses that certificate should name.
/// </summary>
internal sealed record NodeCertificateRequest(
    [property: JsonPropertyName("nodeName")] string NodeName,
    [property: JsonPropertyName("csr")] string Csr,
    [property: JsonPropertyName("servingCsr")] string? ServingCsr = null,
    [property: JsonPropertyName("hostName")] string? HostName = null,
    [property: JsonPropertyName("addresses")] IReadOnlyList<string>? Addresses = null);
