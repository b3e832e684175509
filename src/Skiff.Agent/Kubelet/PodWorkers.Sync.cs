using Grpc.Core;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Skiff.Agent.Kubelet.Config;
using Skiff.Agent.Kubelet.Lifecycle;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet;

public sealed partial class PodWorkers
{
    /// <summary>
    /// One sync of a pod that is not being deleted: the sandbox is created once (a pod whose sandbox exists is adopted as
    /// it is, so a restarted kubelet restarts nothing), the containers are converged (<see cref="SyncContainersAsync"/>),
    /// old runs are removed, the probes of running containers are started and the status is written when it changed. A
    /// pod that reached Succeeded or Failed gets its sandbox stopped.
    /// </summary>
    private async Task SyncPodAsync(V1Pod pod, PodState state, CancellationToken cancellationToken)
    {
        string ns = pod.Metadata.NamespaceProperty ?? "default";
        string name = pod.Metadata.Name;
        try
        {
            // Listed afresh rather than taken from the relist: a sync that ended after the relist listed may have created both.
            var (sandbox, containers) = await ListPodAsync(pod.Metadata.Uid, cancellationToken).ConfigureAwait(false);
            state.TerminalPhase ??= pod.Status?.Phase is "Succeeded" or "Failed" ? pod.Status.Phase : null;
            if (sandbox is null)
            {
                if (state.TerminalPhase is not null)
                {
                    return;
                }

                await CreateSandboxAsync(pod, state, cancellationToken).ConfigureAwait(false);
                containers = [];
            }
            else if (state.SandboxConfig is null || state.SandboxId != sandbox.Id)
            {
                // Adopted (the kubelet restarted) or recreated elsewhere: rebuild what later container starts need.
                state.SandboxId = sandbox.Id;
                state.SandboxConfig = SandboxConfigBuilder.Build(pod, _options, _cgroups.Ensure(pod), sandbox.Metadata?.Attempt ?? 0);
                state.Volumes = await _volumes.PrepareAsync(pod, cancellationToken).ConfigureAwait(false);
                state.StartTime ??= pod.Status?.StartTime ?? _time.GetUtcNow().UtcDateTime;
                LifecycleLog.Adopted(_logger, ns, name, sandbox.Id);
            }

            bool sandboxReady = sandbox is null || sandbox.State == PodSandboxState.SandboxReady;
            PodView view = await ReadViewAsync(containers, cancellationToken).ConfigureAwait(false);
            if (sandboxReady && state.TerminalPhase is null && state.SandboxId is not null)
            {
                string? ip = await PodIpAsync(state.SandboxId, cancellationToken).ConfigureAwait(false);
                if (await SyncContainersAsync(pod, state, view, ip, cancellationToken).ConfigureAwait(false))
                {
                    var listed = await _cri.Runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = state.SandboxId } },
                        _cri.Options(cancellationToken)).ConfigureAwait(false);
                    view = await ReadViewAsync(listed.Containers, cancellationToken).ConfigureAwait(false);
                }
            }

            foreach (string stale in view.Stale)
            {
                await IgnoreNotFoundAsync(() => _cri.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = stale }, _cri.Options(cancellationToken)).ResponseAsync)
                    .ConfigureAwait(false);
            }

            await WriteStatusAsync(pod, state, view, cancellationToken).ConfigureAwait(false);
            if (state.TerminalPhase is null && state.SandboxId is not null)
            {
                // ConfigMap, Secret, downward API and token contents follow their sources while the pod runs.
                await _volumes.RefreshAsync(pod, cancellationToken).ConfigureAwait(false);
            }

            if (state.TerminalPhase is not null && !state.SandboxStopped && state.SandboxId is not null && sandboxReady && state.LastStatusJson is not null)
            {
                // Nothing will run in it again: free the network and the pause process (upstream does the same).
                await IgnoreNotFoundAsync(() => _cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = state.SandboxId }, _cri.Options(cancellationToken)).ResponseAsync)
                    .ConfigureAwait(false);
                state.SandboxStopped = true;
                LifecycleLog.PodFinished(_logger, ns, name);
            }
        }
        catch (Exception e) when (e is RpcException or IOException or UnauthorizedAccessException or HttpOperationException or HttpRequestException
                                      && !cancellationToken.IsCancellationRequested)
        {
            LifecycleLog.SyncFailed(_logger, ns, name, e);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping; the next kubelet adopts whatever was created.
        }
    }

    /// <summary>Only the pod's own sandboxes (by the uid label every sandbox config carries): a sync lists one pod, not the node.</summary>
    private static ListPodSandboxRequest SandboxesOf(string uid) =>
        new() { Filter = new PodSandboxFilter { LabelSelector = { ["io.kubernetes.pod.uid"] = uid } } };

    /// <summary>The pod's newest sandbox and its containers.</summary>
    private async Task<(PodSandbox? Sandbox, IReadOnlyList<Container> Containers)> ListPodAsync(string uid, CancellationToken cancellationToken)
    {
        var sandboxes = await _cri.Runtime.ListPodSandboxAsync(SandboxesOf(uid), _cri.Options(cancellationToken)).ConfigureAwait(false);
        PodSandbox? sandbox = sandboxes.Items.Where(s => s.Metadata?.Uid == uid).OrderByDescending(s => s.CreatedAt).FirstOrDefault();
        if (sandbox is null)
        {
            return (null, []);
        }

        var listed = await _cri.Runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = sandbox.Id } },
            _cri.Options(cancellationToken)).ConfigureAwait(false);
        return (sandbox, listed.Containers);
    }

    /// <summary>The pod's containers by name: ContainerStatus of the newest two runs, the older exited runs listed for removal.</summary>
    private async Task<PodView> ReadViewAsync(IEnumerable<Container> containers, CancellationToken cancellationToken)
    {
        var view = new PodView();
        foreach (var runs in containers.GroupBy(c => c.Metadata?.Name ?? ""))
        {
            var ordered = runs.OrderByDescending(c => c.Metadata?.Attempt ?? 0).ThenByDescending(c => c.CreatedAt).ToList();
            for (int i = 0; i < ordered.Count; i++)
            {
                if (i >= 2)
                {
                    if (ordered[i].State is ContainerState.ContainerExited or ContainerState.ContainerCreated)
                    {
                        view.Stale.Add(ordered[i].Id);
                    }

                    continue;
                }

                try
                {
                    var status = await _cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = ordered[i].Id }, _cri.Options(cancellationToken))
                        .ConfigureAwait(false);
                    (i == 0 ? view.Newest : view.Previous)[runs.Key] = status.Status;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
                {
                    // Removed since the list.
                }
            }
        }

        return view;
    }

    private async Task<string?> PodIpAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var status = await _cri.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = sandboxId }, _cri.Options(cancellationToken)).ConfigureAwait(false);
        return status.Status.State == PodSandboxState.SandboxReady && !string.IsNullOrEmpty(status.Status.Network?.Ip) ? status.Status.Network.Ip : null;
    }

    private async Task WriteStatusAsync(V1Pod pod, PodState state, PodView view, CancellationToken cancellationToken)
    {
        string? ip = state.SandboxId is null || state.SandboxStopped ? null : await PodIpAsync(state.SandboxId, cancellationToken).ConfigureAwait(false);
        bool sandboxReady = ip is not null;
        // A finished pod keeps reporting the IP it had (its sandbox is stopped, the address is history, as upstream shows it).
        ip ??= state.TerminalPhase is not null ? pod.Status?.PodIP : null;
        var specs = (pod.Spec.InitContainers ?? []).Concat(pod.Spec.Containers ?? []).ToDictionary(c => c.Name);
        var running = view.Newest.Values.Where(c => c.State == ContainerState.ContainerRunning && specs.ContainsKey(c.Metadata.Name)).ToList();
        foreach (ContainerStatus exited in view.Newest.Values.Concat(view.Previous.Values).Where(c => c.State == ContainerState.ContainerExited))
        {
            if (!state.TerminationMessages.ContainsKey(exited.Id))
            {
                state.TerminationMessages[exited.Id] = ReadTerminationMessage(specs.GetValueOrDefault(exited.Metadata?.Name ?? ""), exited);
            }
        }

        DateTime now = _time.GetUtcNow().UtcDateTime;
        DateTime start = pod.Status?.StartTime ?? state.StartTime ?? now;
        var runtime = new PodRuntimeState(ip, view.Newest, state.Waiting)
        {
            SandboxReady = sandboxReady,
            Previous = view.Previous,
            TerminationMessages = state.TerminationMessages.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value ?? ""),
            Started = running.Where(c => _probes.Started(specs[c.Metadata.Name], c.Id)).Select(c => c.Id).ToHashSet(),
            Ready = running.Where(c => _probes.Ready(specs[c.Metadata.Name], c.Id)).Select(c => c.Id).ToHashSet(),
            TerminalPhase = state.TerminalPhase,
        };
        V1PodStatus computed = PodStatusBuilder.Build(pod, runtime, _options.InternalIp, start, state.Conditions ?? pod.Status?.Conditions, now);
        string json = KubernetesJson.Serialize(computed);
        if (json == state.LastStatusJson)
        {
            return;
        }

        try
        {
            string patch = KubernetesJson.Serialize(new V1Pod { Status = computed });
            await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            state.LastStatusJson = json;
            state.Conditions = computed.Conditions;
            if (computed.Phase is "Succeeded" or "Failed")
            {
                state.TerminalPhase = computed.Phase;
            }
        }
        catch (HttpOperationException e)
        {
            KubeletLog.StatusWriteFailed(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, e);
        }
    }

    private string? ReadTerminationMessage(V1Container? container, ContainerStatus status)
    {
        try
        {
            return TerminationMessage.Read(container, status);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LifecycleLog.TerminationMessageFailed(_logger, status.Metadata?.Name ?? "", e);
            return null;
        }
    }

    private void RemoveTerminationMessages(string podUid)
    {
        try
        {
            string dir = TerminationMessage.PodDirectory(_options, podUid);
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LifecycleLog.TerminationMessageFailed(_logger, podUid, e);
        }
    }
}
