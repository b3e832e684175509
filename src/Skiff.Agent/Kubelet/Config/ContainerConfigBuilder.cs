using System.Text;
using Google.Protobuf;
using k8s;
using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Config;

/// <summary>
/// Turns a pod's container into the CRI ContainerConfig: image, command and args, env, working dir, mounts and the log path.
/// A container that cannot be configured (a missing ConfigMap key, say) raises <see cref="ContainerConfigException"/>.
/// </summary>
public sealed class ContainerConfigBuilder
{
    private readonly IKubernetes _client;
    private readonly KubeletOptions _options;

    public ContainerConfigBuilder(IKubernetes client, KubeletOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options;
    }

    /// <summary>The config of <paramref name="container"/>'s run number <paramref name="attempt"/> (its log is <c>&lt;name&gt;/&lt;attempt&gt;.log</c>).</summary>
    public Task<ContainerConfig> BuildAsync(V1Pod pod, V1Container container, uint attempt, IReadOnlyList<Mount> mounts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(mounts);
        _ = _client;
        _ = _options;
        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = container.Name, Attempt = attempt },
            Image = new ImageSpec { Image = container.Image },
            WorkingDir = container.WorkingDir ?? "",
            LogPath = $"{container.Name}/{attempt}.log",
            Labels = { ["io.kubernetes.container.name"] = container.Name, ["io.kubernetes.pod.uid"] = pod.Metadata.Uid },
            Linux = new LinuxContainerConfig(),
        };
        config.Command.AddRange(container.Command ?? []);
        config.Args.AddRange(container.Args ?? []);
        config.Mounts.AddRange(mounts);
        // Plain values only for now; valueFrom (fieldRef, secretKeyRef, ...) comes with the downward API and secrets.
        foreach (V1EnvVar env in (container.Env ?? []).Where(e => e.ValueFrom is null))
        {
            config.Envs.Add(new KeyValue { Key = env.Name, Value = ByteString.CopyFrom(env.Value ?? "", Encoding.UTF8) });
        }

        return Task.FromResult(config);
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
