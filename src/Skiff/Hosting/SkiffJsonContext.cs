using System.Text.Json.Serialization;
using Skiff.Pki;

namespace Skiff.Hosting;

/// <summary>Source-generated JSON for the exe's own endpoints (not the Kubernetes API types).</summary>
[JsonSerializable(typeof(ServerVersionInfo))]
[JsonSerializable(typeof(NodeCertificateRequest))]
[JsonSerializable(typeof(NodeCertificateResponse))]
internal sealed partial class SkiffJsonContext : JsonSerializerContext
{
}
