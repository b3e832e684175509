using System.Net;
using System.Security.Cryptography.X509Certificates;
using k8s;
using Skiff.Commands;

namespace Skiff.Hosting;

/// <summary>What the embedded or joined node agent is told: who it is, its flags, where its data goes and how it gets its credentials.</summary>
internal sealed record NodeAgentSetup
{
    public required string NodeName { get; init; }

    public required NodeSettings Settings { get; init; }

    public required DataDirectory DataDirectory { get; init; }

    /// <summary>Waits until the credentials exist (the API server is up, or the join is done) and returns them.</summary>
    public required Func<CancellationToken, Task<NodeAgentCredentials>> CredentialsAsync { get; init; }

    /// <summary>The pod CIDR to use when the IPAM controller assigns none within <see cref="PodCidrWait"/>.</summary>
    public required IPNetwork FallbackPodCidr { get; init; }

    /// <summary>How long to wait for spec.podCIDR; zero when no controller manager will assign one.</summary>
    public TimeSpan PodCidrWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra Node labels (node-role.kubernetes.io/control-plane on the server's own node).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

/// <summary>The kubelet's API client (its own <c>system:node:NAME</c> certificate), its serving certificate and the CA its clients must present.</summary>
internal sealed record NodeAgentCredentials(KubernetesClientConfiguration Client, X509Certificate2 ServingCertificate, X509Certificate2 ClientCa);
