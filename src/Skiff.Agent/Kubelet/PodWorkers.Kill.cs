using Grpc.Core;
using k8s.Models;
using Skiff.Agent.Kubelet.Lifecycle;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet;

public sealed partial class PodWorkers
{
    /// <summary>Upstream's floor for what is left of a grace period after preStop: the container always gets a moment after SIGTERM.</summary>
    private const long MinimumGraceSeconds = 2;

    /// <summary>
    /// Stops one container: its preStop hook (bounded by the grace period), then StopContainer with what is left of the grace
    /// period (at least 2 s): SIGTERM, and SIGKILL when it has not exited by then.
    /// </summary>
    private async Task KillContainerAsync(V1Pod pod, V1Container? container, string containerId, long graceSeconds, string? podIp, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        if (container?.Lifecycle?.PreStop is { } preStop)
        {
            HandlerResult result = await _handlers.RunHookAsync(container, containerId, podIp, preStop, TimeSpan.FromSeconds(Math.Max(1, graceSeconds)), cancellationToken)
                .ConfigureAwait(false);
            if (!result.Succeeded)
            {
                LifecycleLog.HookFailed(_logger, "PreStop", container.Name, pod.Metadata.NamespaceProperty ?? "default", pod.Metadata.Name, result.Message);
            }
        }

        long left = Math.Max(MinimumGraceSeconds, graceSeconds - (long)_time.GetElapsedTime(started).TotalSeconds);
        // The deadline outlasts the grace period: StopContainer returns once SIGTERM worked or SIGKILL followed.
        await IgnoreNotFoundAsync(() => _cri.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = containerId, Timeout = left },
            _cri.Options(cancellationToken, TimeSpan.FromSeconds(left + 30))).ResponseAsync).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops a deleted pod's running containers within <paramref name="graceSeconds"/>: the regular containers (and regular
    /// init containers) together, then the sidecars one by one in reverse order with what is left of the grace period.
    /// </summary>
    private async Task KillPodContainersAsync(V1Pod pod, IReadOnlyList<string> sandboxIds, long graceSeconds, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        var specs = (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []).ToDictionary(c => c.Name);
        var running = new List<Container>();
        string? podIp = null;
        foreach (string sandboxId in sandboxIds)
        {
            var listed = await _cri.Runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = sandboxId } },
                _cri.Options(cancellationToken)).ConfigureAwait(false);
            running.AddRange(listed.Containers.Where(c => c.State == ContainerState.ContainerRunning));
            podIp ??= await IgnoreFailureAsync(() => PodIpAsync(sandboxId, cancellationToken)).ConfigureAwait(false);
        }

        bool IsSidecar(Container c) => specs.TryGetValue(c.Metadata?.Name ?? "", out V1Container? s) && PodStatusBuilder.IsSidecar(s)
            && pod.Spec.InitContainers?.Contains(s) == true;

        await Task.WhenAll(running.Where(c => !IsSidecar(c))
            .Select(c => KillContainerAsync(pod, specs.GetValueOrDefault(c.Metadata?.Name ?? ""), c.Id, graceSeconds, podIp, cancellationToken))).ConfigureAwait(false);
        var order = (pod.Spec.InitContainers ?? []).Select(c => c.Name).ToList();
        foreach (Container sidecar in running.Where(IsSidecar).OrderByDescending(c => order.IndexOf(c.Metadata.Name)))
        {
            long left = graceSeconds - (long)_time.GetElapsedTime(started).TotalSeconds;
            await KillContainerAsync(pod, specs[sidecar.Metadata.Name], sidecar.Id, left, podIp, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<T?> IgnoreFailureAsync<T>(Func<Task<T?>> action)
        where T : class
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (RpcException)
        {
            return null;
        }
    }
}
