using System.Text;
using Google.Protobuf;
using k8s;
using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Config;

/// <summary>
/// Turns a pod's container into the CRI ContainerConfig: image, command and args (with <c>$(VAR)</c> expanded), env (values,
/// the downward API, ConfigMaps and Secrets, envFrom), working dir, stdin/tty, mounts, the log path, the cgroup resources
/// from requests and limits and the security context. A container that cannot be configured (a missing ConfigMap key, say)
/// raises <see cref="ContainerConfigException"/>.
/// </summary>
public sealed partial class ContainerConfigBuilder
{
    private readonly IKubernetes _client;
    private readonly KubeletOptions _options;
    private readonly Lazy<NodeResources> _node;

    public ContainerConfigBuilder(IKubernetes client, KubeletOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options;
        _node = new Lazy<NodeResources>(() => options.NodeAllocatable ?? NodeResources.Read(options.DataDir));
    }

    /// <summary>
    /// The config of <paramref name="container"/>'s run number <paramref name="attempt"/> (its log is <c>&lt;name&gt;/&lt;attempt&gt;.log</c>).
    /// <paramref name="podIp"/> is the sandbox's IP for status.podIP(s) references; <paramref name="imageUid"/> and
    /// <paramref name="imageUser"/> are the image's user (neither given counts as root) for the runAsNonRoot check.
    /// </summary>
#pragma warning disable CA1068 // The optional parameters came after the token; the callers predate them.
    public async Task<ContainerConfig> BuildAsync(
        V1Pod pod, V1Container container, uint attempt, IReadOnlyList<Mount> mounts, CancellationToken cancellationToken, string? podIp = null, long? imageUid = null, string? imageUser = null)
#pragma warning restore CA1068
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(mounts);
        SecurityContexts.VerifyRunAsNonRoot(pod, container, imageUid, imageUser);
        IReadOnlyList<KeyValuePair<string, string>> env = await EnvAsync(pod, container, podIp, cancellationToken).ConfigureAwait(false);
        var lookup = new Dictionary<string, string>(env, StringComparer.Ordinal);
        string? Lookup(string name) => lookup.TryGetValue(name, out string? value) ? value : null;

        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = container.Name, Attempt = attempt },
            Image = new ImageSpec { Image = container.Image },
            WorkingDir = container.WorkingDir ?? "",
            LogPath = $"{container.Name}/{attempt}.log",
            Labels = { ["io.kubernetes.container.name"] = container.Name, ["io.kubernetes.pod.uid"] = pod.Metadata.Uid },
            Stdin = container.Stdin == true,
            StdinOnce = container.StdinOnce == true,
            Tty = container.Tty == true,
            Linux = new LinuxContainerConfig
            {
                Resources = PodResources.ContainerResources(pod, container, _node.Value.MemoryBytes),
                SecurityContext = SecurityContexts.Container(pod, container),
            },
        };
        config.Command.AddRange((container.Command ?? []).Select(c => EnvExpansion.Expand(c, Lookup)));
        config.Args.AddRange((container.Args ?? []).Select(a => EnvExpansion.Expand(a, Lookup)));
        config.Mounts.AddRange(mounts);
        config.Envs.AddRange(env.Select(e => new KeyValue { Key = e.Key, Value = ByteString.CopyFrom(e.Value, Encoding.UTF8) }));
        return config;
    }
}

/// <summary>A container whose config cannot be built: it waits with <see cref="Reason"/> (CreateContainerConfigError) and the message.</summary>
public sealed class ContainerConfigException : Exception
{
    public ContainerConfigException()
    {
    }

    public ContainerConfigException(string message)
        : base(message)
    {
    }

    public ContainerConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public string Reason { get; init; } = "CreateContainerConfigError";
}
