using k8s.Models;
using Skiff.Agent.Kubelet.Lifecycle;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet;

public sealed partial class PodWorkers
{
    /// <summary>
    /// Converges a pod's containers towards its spec, the way upstream's SyncPod does, and answers whether it changed anything:
    /// <list type="number">
    /// <item>a running container whose liveness or startup probe failed is killed (with the probe's or the pod's
    /// terminationGracePeriodSeconds, preStop first); the other running ones get their probe workers;</item>
    /// <item>until a regular container has run, the init containers go in order: a regular one must exit 0 before the next
    /// starts (a failure restarts it with back-off unless restartPolicy is Never), a sidecar (restartPolicy Always) must be
    /// running and started (its startup probe passed) before the next starts;</item>
    /// <item>then every regular container starts; a container that exited is started again as run attempt+1 when the
    /// restart policy says so (sidecars always), after the crash-loop back-off;</item>
    /// <item>once every regular container exited for good, the sidecars are stopped in reverse order.</item>
    /// </list>
    /// </summary>
    private async Task<bool> SyncContainersAsync(V1Pod pod, PodState state, PodView view, string? podIp, CancellationToken cancellationToken)
    {
        bool acted = false;
        string policy = pod.Spec.RestartPolicy ?? "Always";
        IList<V1Container> inits = pod.Spec.InitContainers ?? [];
        IList<V1Container> regular = pod.Spec.Containers ?? [];
        foreach (V1Container c in inits.Where(PodStatusBuilder.IsSidecar).Concat(regular))
        {
            if (!view.Newest.TryGetValue(c.Name, out ContainerStatus? current) || current.State != ContainerState.ContainerRunning)
            {
                continue;
            }

            if (_probes.Failed(current.Id) is { } kind)
            {
                LifecycleLog.Unhealthy(_logger, c.Name, pod.Metadata.NamespaceProperty ?? "default", pod.Metadata.Name, kind);
                V1Probe? probe = kind == ProbeKind.Liveness ? c.LivenessProbe : c.StartupProbe;
                long grace = probe?.TerminationGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30;
                await KillContainerAsync(pod, c, current.Id, grace, podIp, cancellationToken).ConfigureAwait(false);
                var refreshed = await _cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = current.Id }, _cri.Options(cancellationToken))
                    .ConfigureAwait(false);
                view.Newest[c.Name] = refreshed.Status;
                acted = true;
            }
            else
            {
                _probes.Ensure(pod, c, current.Id, FromNanos(current.StartedAt), podIp, cancellationToken);
            }
        }

        bool initialized = regular.Any(c => view.Newest.ContainsKey(c.Name));
        // Every regular container exited for good: the pod is done, and its sidecars stop rather than restart.
        bool regularDone = regular.Count > 0 && regular.All(c => view.Newest.TryGetValue(c.Name, out ContainerStatus? s)
            && s.State == ContainerState.ContainerExited && !PodStatusBuilder.WillRestart(policy, s.ExitCode));
        if (regularDone)
        {
            foreach (V1Container c in inits.Where(PodStatusBuilder.IsSidecar).Reverse())
            {
                if (view.Newest.TryGetValue(c.Name, out ContainerStatus? s) && s.State == ContainerState.ContainerRunning)
                {
                    await KillContainerAsync(pod, c, s.Id, pod.Spec.TerminationGracePeriodSeconds ?? 30, podIp, cancellationToken).ConfigureAwait(false);
                    acted = true;
                }
            }

            return acted;
        }

        foreach (V1Container c in inits)
        {
            bool sidecar = PodStatusBuilder.IsSidecar(c);
            if (initialized && !sidecar)
            {
                continue;
            }

            if (!view.Newest.TryGetValue(c.Name, out ContainerStatus? current))
            {
                await StartContainerAsync(pod, state, c, 0, podIp, cancellationToken).ConfigureAwait(false);
                acted = true;
                if (!initialized)
                {
                    // The next init container waits until this one exited 0 (or, a sidecar, started): a later sync sees it.
                    return acted;
                }

                continue;
            }

            bool done = current.State switch
            {
                ContainerState.ContainerRunning => sidecar && _probes.Started(c, current.Id),
                ContainerState.ContainerExited => !sidecar && current.ExitCode == 0,
                _ => false,
            };
            if (current.State == ContainerState.ContainerExited && !done && (sidecar || policy != "Never"))
            {
                acted |= await RestartAsync(pod, state, c, current, podIp, cancellationToken).ConfigureAwait(false);
            }

            if (!done && !initialized)
            {
                return acted;
            }
        }

        foreach (V1Container c in regular)
        {
            if (!view.Newest.TryGetValue(c.Name, out ContainerStatus? current))
            {
                await StartContainerAsync(pod, state, c, 0, podIp, cancellationToken).ConfigureAwait(false);
                acted = true;
            }
            else if (current.State == ContainerState.ContainerExited && PodStatusBuilder.WillRestart(policy, current.ExitCode))
            {
                acted |= await RestartAsync(pod, state, c, current, podIp, cancellationToken).ConfigureAwait(false);
            }
        }

        return acted;
    }

    /// <summary>
    /// Starts the exited <paramref name="current"/> again as its next attempt, unless it is in back-off: then it waits with
    /// reason CrashLoopBackOff and upstream's message. True when a new run was attempted.
    /// </summary>
    private async Task<bool> RestartAsync(V1Pod pod, PodState state, V1Container container, ContainerStatus current, string? podIp, CancellationToken cancellationToken)
    {
        string ns = pod.Metadata.NamespaceProperty ?? "default";
        string key = RestartBackOff.Key(pod.Metadata.Uid, container.Name);
        DateTimeOffset finished = FromNanos(current.FinishedAt);
        TimeSpan ranFor = current.StartedAt == 0 ? TimeSpan.Zero : finished - FromNanos(current.StartedAt);
        if (_backOff.InBackOff(key, finished, ranFor, _time.GetUtcNow()) is { } delay)
        {
            string message = RestartBackOff.Message(delay, container.Name, pod.Metadata.Name, ns, pod.Metadata.Uid);
            state.Waiting[container.Name] = ("CrashLoopBackOff", message);
            LifecycleLog.BackOff(_logger, container.Name, ns, pod.Metadata.Name, message);
            return false;
        }

        _backOff.Next(key);
        await StartContainerAsync(pod, state, container, (current.Metadata?.Attempt ?? 0) + 1, podIp, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static DateTimeOffset FromNanos(long nanos) => DateTimeOffset.UnixEpoch.AddTicks(nanos / 100);
}
