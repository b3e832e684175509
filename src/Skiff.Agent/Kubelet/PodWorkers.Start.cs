using Grpc.Core;
using k8s.Models;
using Skiff.Agent.Kubelet.Config;
using Skiff.Agent.Kubelet.Images;
using Skiff.Agent.Kubelet.Lifecycle;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet;

public sealed partial class PodWorkers
{
    /// <summary>Prepares the volumes and runs the pod's sandbox; a sandbox that failed half-way is removed and the next sync tries again.</summary>
    private async Task CreateSandboxAsync(V1Pod pod, PodState state, CancellationToken cancellationToken)
    {
        string? sandboxId = null;
        try
        {
            state.StartTime ??= _time.GetUtcNow().UtcDateTime;
            state.Volumes = await _volumes.PrepareAsync(pod, cancellationToken).ConfigureAwait(false);
            PodSandboxConfig sandboxConfig = SandboxConfigBuilder.Build(pod, _options, _cgroups.Ensure(pod));
            Directory.CreateDirectory(sandboxConfig.LogDirectory);
            sandboxId = (await _cri.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = sandboxConfig }, _cri.Options(cancellationToken, TimeSpan.FromMinutes(2)))
                .ConfigureAwait(false)).PodSandboxId;
            state.SandboxConfig = sandboxConfig;
            state.SandboxId = sandboxId;
            state.SandboxStopped = false;
            KubeletLog.PodStarted(_logger, pod.Metadata.NamespaceProperty ?? "default", pod.Metadata.Name, sandboxId);
        }
        catch (Exception e) when (e is RpcException or IOException or k8s.Autorest.HttpOperationException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            KubeletLog.PodStartFailed(_logger, pod.Metadata.NamespaceProperty ?? "default", pod.Metadata.Name, e);
            if (sandboxId is not null)
            {
                await IgnoreFailureAsync(() => StopAndRemoveAsync([sandboxId], 0, cancellationToken)).ConfigureAwait(false);
            }

            state.SandboxId = null;
            state.SandboxConfig = null;
            throw;
        }
    }

    /// <summary>
    /// Starts run <paramref name="attempt"/> of <paramref name="container"/>: the image (a failure leaves it waiting with
    /// ErrImagePull), the config with the volume mounts and the termination-message file, CreateContainer, StartContainer,
    /// then the postStart hook (a failure kills the container, which then restarts per restartPolicy). True when it runs.
    /// </summary>
    private async Task<bool> StartContainerAsync(V1Pod pod, PodState state, V1Container container, uint attempt, string? podIp, CancellationToken cancellationToken)
    {
        string ns = pod.Metadata.NamespaceProperty ?? "default";
        if (state.SandboxConfig is null || state.SandboxId is null)
        {
            return false;
        }

        ImageResult image = await _images.EnsureImageAsync(pod, container, state.SandboxConfig, cancellationToken).ConfigureAwait(false);
        if (!image.Ready)
        {
            state.Waiting[container.Name] = (image.Reason ?? "ErrImagePull", image.Message ?? "");
            return false;
        }

        string id;
        try
        {
            List<Mount> mounts = [.. state.Volumes?.MountsFor(container) ?? []];
            string messagePath = TerminationMessage.PathOf(container);
            if (!mounts.Any(m => m.ContainerPath == messagePath))
            {
                mounts.Add(TerminationMessage.CreateMount(_options, pod.Metadata.Uid, container, attempt));
            }

            ContainerConfig config = await _containerConfigs.BuildAsync(pod, container, attempt, mounts, cancellationToken, podIp).ConfigureAwait(false);
            id = (await _cri.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = state.SandboxId, Config = config, SandboxConfig = state.SandboxConfig }, _cri.Options(cancellationToken))
                .ConfigureAwait(false)).ContainerId;
            await _cri.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, _cri.Options(cancellationToken)).ConfigureAwait(false);
        }
        catch (ContainerConfigException e)
        {
            state.Waiting[container.Name] = (e.Reason, e.Message);
            return false;
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            state.Waiting[container.Name] = ("CreateContainerError", e.Status.Detail);
            return false;
        }

        state.Waiting.TryRemove(container.Name, out _);
        LifecycleLog.ContainerStarted(_logger, container.Name, attempt, ns, pod.Metadata.Name);
        if (container.Lifecycle?.PostStart is { } postStart)
        {
            // Upstream bounds postStart by nothing but the pod's lifetime; we give it the grace period so a hung hook cannot wedge the sync.
            TimeSpan limit = TimeSpan.FromSeconds(Math.Max(2, pod.Spec.TerminationGracePeriodSeconds ?? 30));
            HandlerResult result = await _handlers.RunHookAsync(container, id, podIp, postStart, limit, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                LifecycleLog.HookFailed(_logger, "PostStart", container.Name, ns, pod.Metadata.Name, result.Message);
                await KillContainerAsync(pod, container, id, pod.Spec.TerminationGracePeriodSeconds ?? 30, podIp, cancellationToken).ConfigureAwait(false);
                return false;
            }
        }

        return true;
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
