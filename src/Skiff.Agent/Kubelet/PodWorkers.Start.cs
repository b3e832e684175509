using Grpc.Core;
using k8s.Models;
using Skiff.Agent.Kubelet.Config;
using Skiff.Agent.Kubelet.Images;
using Skiff.Agent.Kubelet.Volumes;
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
        string? sandboxId = null;
        try
        {
            PodVolumes volumes = await _volumes.PrepareAsync(pod, cancellationToken).ConfigureAwait(false);
            PodSandboxConfig sandboxConfig = SandboxConfigBuilder.Build(pod, _options, _cgroups.Ensure(pod));
            Directory.CreateDirectory(sandboxConfig.LogDirectory);
            sandboxId = (await _cri.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = sandboxConfig }, _cri.Options(cancellationToken, TimeSpan.FromMinutes(2)))
                .ConfigureAwait(false)).PodSandboxId;
            string? podIp = (await _cri.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = sandboxId }, _cri.Options(cancellationToken)).ConfigureAwait(false)).Status?.Network?.Ip;
            foreach (V1Container container in pod.Spec.Containers ?? [])
            {
                ImageResult image = await _images.EnsureImageAsync(pod, container, sandboxConfig, cancellationToken).ConfigureAwait(false);
                if (!image.Ready)
                {
                    state.Waiting[container.Name] = (image.Reason ?? "ErrImagePull", image.Message ?? "");
                    continue;
                }

                state.Waiting.TryRemove(container.Name, out _);
                try
                {
                    ContainerConfig config = await _containerConfigs.BuildAsync(pod, container, 0, volumes.MountsFor(container), cancellationToken, podIp).ConfigureAwait(false);
                    string id = (await _cri.Runtime.CreateContainerAsync(
                        new CreateContainerRequest { PodSandboxId = sandboxId, Config = config, SandboxConfig = sandboxConfig }, _cri.Options(cancellationToken))
                        .ConfigureAwait(false)).ContainerId;
                    await _cri.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, _cri.Options(cancellationToken)).ConfigureAwait(false);
                }
                catch (ContainerConfigException e)
                {
                    state.Waiting[container.Name] = (e.Reason, e.Message);
                }
                catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
                {
                    state.Waiting[container.Name] = ("CreateContainerError", e.Status.Detail);
                }
            }

            KubeletLog.PodStarted(_logger, ns, name, sandboxId);
        }
        catch (Exception e) when (e is RpcException or IOException or k8s.Autorest.HttpOperationException or HttpRequestException && !cancellationToken.IsCancellationRequested)
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
