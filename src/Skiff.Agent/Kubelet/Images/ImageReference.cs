namespace Skiff.Agent.Kubelet.Images;

/// <summary>
/// An image name split the way Docker and containerd normalise it: <c>busybox</c> is <c>docker.io/library/busybox:latest</c>, the
/// first path component is a registry only when it has a dot or a colon or is <c>localhost</c>, and <c>index.docker.io</c> is
/// <c>docker.io</c>.
/// </summary>
/// <param name="Registry">The registry host with its port, e.g. <c>docker.io</c> or <c>127.0.0.1:5000</c>.</param>
/// <param name="Repository">The path inside the registry, e.g. <c>library/busybox</c>.</param>
/// <param name="Tag">The tag as written, or null when there is none.</param>
/// <param name="Digest">The digest (<c>sha256:…</c>), or null.</param>
public sealed record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";

    /// <summary><c>registry/repository</c> without tag or digest: what the docker keyring matches credentials against.</summary>
    public string Name => Registry + "/" + Repository;

    public static ImageReference Parse(string image)
    {
        ArgumentException.ThrowIfNullOrEmpty(image);
        string rest = image;
        string? digest = null;
        int at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
        }

        string? tag = null;
        int colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
        }

        string registry = DockerHub;
        int slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && IsRegistry(rest[..slash]))
        {
            registry = rest[..slash];
            rest = rest[(slash + 1)..];
        }

        if (registry == "index.docker.io")
        {
            registry = DockerHub;
        }

        if (registry == DockerHub && !rest.Contains('/', StringComparison.Ordinal))
        {
            rest = "library/" + rest;
        }

        return new ImageReference(registry, rest, tag, digest);
    }

    /// <summary>
    /// The pull policy the API server defaults to: Always for <c>:latest</c> or no tag (unless pinned by digest), else
    /// IfNotPresent.
    /// </summary>
    public static string DefaultPullPolicy(string image)
    {
        ImageReference reference = Parse(image);
        return reference.Tag == "latest" || (reference.Tag is null && reference.Digest is null) ? "Always" : "IfNotPresent";
    }

    private static bool IsRegistry(string component) =>
        component.Contains('.', StringComparison.Ordinal) || component.Contains(':', StringComparison.Ordinal) || component == "localhost"
        || !component.Equals(component.ToLowerInvariant(), StringComparison.Ordinal);
}
