using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Images;

/// <summary>A user name and password (or identity token) for one registry, and where it came from (for logs, never the secret).</summary>
public sealed record RegistryCredential(string Username, string Password, string? IdentityToken, string Source)
{
    /// <summary>
    /// The one host containerd may send these credentials to, as a URL (<c>https://host:port</c>); null: whichever host the pull
    /// resolves to (the registry or one of its mirrors), as for pull secrets in the kubelet.
    /// </summary>
    public string? ServerAddress { get; init; }

    public AuthConfig ToAuthConfig() =>
        new() { Username = Username, Password = Password, IdentityToken = IdentityToken ?? "", ServerAddress = ServerAddress ?? "" };

    public override string ToString() => $"credential for {Username} from {Source}";
}
