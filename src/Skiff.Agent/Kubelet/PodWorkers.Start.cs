using System.Text;
using Google.Protobuf;
using Grpc.Core;
using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet;

public sealed partial class PodWorkers
{
    /// <summary>
    /// RunPodSandbox, then per container: make sure the image is present (PullImage when ImageStatus has none; a failure
    /// leaves the container waiting with ErrImagePull), CreateContainer and StartContainer. A failed sandbox is removed and
    /// retried on the next relist.
    /// </summary>
    private async Task StartAsync(V1Pod pod, PodState state, CancellationToken cancellationToken)
    {
        string ns = pod.Metadata.NamespaceProperty ?? "default";
        string name = pod.Metadata.Name;
        string uid = pod.Metadata.Uid;
        string logDir = Path.Combine(_options.PodLogDir, $"{ns}_{name}_{uid}");
        var sandboxConfig = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Namespace = ns, Uid = uid, Attempt = 0 },
            Hostname = pod.Spec.Hostname ?? name,
            LogDirectory = logDir,
            Labels = { ["io.kubernetes.pod.name"] = name, ["io.kubernetes.pod.namespace"] = ns, ["io.kubernetes.pod.uid"] = uid },
            Linux = new LinuxPodSandboxConfig(),
        };
        string? sandboxId = null;
        try
        {
            Directory.CreateDirectory(logDir);
            sandboxId = (await _cri.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = sandboxConfig }, _cri.Options(cancellationToken, TimeSpan.FromMinutes(2)))
                .ConfigureAwait(false)).PodSandboxId;
            foreach (V1Container container in pod.Spec.Containers ?? [])
            {
                if (!await EnsureImageAsync(pod, container, sandboxConfig, state, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                var config = ContainerConfigOf(container, uid);
                try
                {
                    string id = (await _cri.Runtime.CreateContainerAsync(
                        new CreateContainerRequest { PodSandboxId = sandboxId, Config = config, SandboxConfig = sandboxConfig }, _cri.Options(cancellationToken))
                        .ConfigureAwait(false)).ContainerId;
                    await _cri.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, _cri.Options(cancellationToken)).ConfigureAwait(false);
                }
                catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
                {
                    state.Waiting[container.Name] = ("CreateContainerError", e.Status.Detail);
                }
            }

            KubeletLog.PodStarted(_logger, ns, name, sandboxId);
        }
        catch (Exception e) when (e is RpcException or IOException && !cancellationToken.IsCancellationRequested)
        {
            KubeletLog.PodStartFailed(_logger, ns, name, e);
            if (sandboxId is not null)
            {
                await IgnoreFailureAsync(() => StopAndRemoveAsync([sandboxId], 0, cancellationToken)).ConfigureAwait(false);
            }

            state.Launched = false;
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping; the next kubelet's relist sees whatever was created.
        }

        Poke();
    }

    private async Task<bool> EnsureImageAsync(V1Pod pod, V1Container container, PodSandboxConfig sandboxConfig, PodState state, CancellationToken cancellationToken)
    {
        var spec = new ImageSpec { Image = container.Image };
        try
        {
            var present = await _cri.Images.ImageStatusAsync(new ImageStatusRequest { Image = spec }, _cri.Options(cancellationToken)).ConfigureAwait(false);
            if (present.Image is null)
            {
                await _cri.Images.PullImageAsync(new PullImageRequest { Image = spec, SandboxConfig = sandboxConfig }, _cri.Options(cancellationToken, TimeSpan.FromMinutes(5)))
                    .ConfigureAwait(false);
            }

            state.Waiting.TryRemove(container.Name, out _);
            return true;
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            KubeletLog.ImagePullFailed(_logger, container.Image, pod.Metadata.NamespaceProperty, pod.Metadata.Name, e);
            state.Waiting[container.Name] = ("ErrImagePull", e.Status.Detail);
            return false;
        }
    }

    private static ContainerConfig ContainerConfigOf(V1Container container, string podUid)
    {
        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = container.Name, Attempt = 0 },
            Image = new ImageSpec { Image = container.Image },
            WorkingDir = container.WorkingDir ?? "",
            LogPath = container.Name + "/0.log",
            Labels = { ["io.kubernetes.container.name"] = container.Name, ["io.kubernetes.pod.uid"] = podUid },
            Linux = new LinuxContainerConfig(),
        };
        config.Command.AddRange(container.Command ?? []);
        config.Args.AddRange(container.Args ?? []);
        // Plain values only for now; valueFrom (fieldRef, secretKeyRef, ...) comes with the downward API and secrets.
        foreach (V1EnvVar env in (container.Env ?? []).Where(e => e.ValueFrom is null))
        {
            config.Envs.Add(new KeyValue { Key = env.Name, Value = ByteString.CopyFrom(env.Value ?? "", Encoding.UTF8) });
        }

        return config;
    }

    private static async Task IgnoreFailureAsync(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // Best effort: the relist removes what is left.
        }
    }
}
