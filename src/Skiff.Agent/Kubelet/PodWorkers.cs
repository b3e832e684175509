using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Grpc.Core;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Kubelet.Cgroups;
using Skiff.Agent.Kubelet.Config;
using Skiff.Agent.Kubelet.Images;
using Skiff.Agent.Kubelet.Lifecycle;
using Skiff.Agent.Kubelet.Volumes;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;
using Skiff.Machinery.Informers;

namespace Skiff.Agent.Kubelet;

/// <summary>
/// Runs this node's pods on the CRI runtime. One loop relists the runtime every <see cref="KubeletOptions.RelistInterval"/>
/// (sooner when the pod informer or a probe reports a change) and, per pod, syncs it (sandbox once, init containers in
/// order, sidecars, containers, restarts with back-off, probes, status) or terminates it (deletionTimestamp set: preStop,
/// SIGTERM, grace, SIGKILL, sidecars last, remove, delete with grace 0). Sandboxes whose pod is gone from the API are
/// removed. Syncs and terminations run beside the loop, one at a time per pod.
/// </summary>
public sealed partial class PodWorkers : IDisposable
{
    private readonly IKubernetes _client;
    private readonly CriClient _cri;
    private readonly SharedInformer<V1Pod> _pods;
    private readonly KubeletOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<bool> _poke = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<string, PodState> _states = new();
    private readonly ConcurrentDictionary<string, Task> _orphans = new();
    private readonly ContainerConfigBuilder _containerConfigs;
    private readonly ImageManager _images;
    private readonly VolumeManager _volumes;
    private readonly PodCgroups _cgroups;
    private readonly HandlerRunner _handlers;
    private readonly ProbeManager _probes;
    private readonly RestartBackOff _backOff;

    public PodWorkers(IKubernetes client, CriClient cri, SharedInformer<V1Pod> pods, KubeletOptions options, ILogger logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(cri);
        ArgumentNullException.ThrowIfNull(pods);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _client = client;
        _cri = cri;
        _pods = pods;
        _options = options;
        _logger = logger;
        _time = timeProvider;
        _containerConfigs = new ContainerConfigBuilder(client, options);
        _images = new ImageManager(cri, client, options, logger, timeProvider);
        _volumes = new VolumeManager(client, options, logger, timeProvider);
        _cgroups = new PodCgroups(options, logger);
        _handlers = new HandlerRunner(cri, timeProvider);
        _probes = new ProbeManager(_handlers, timeProvider, logger, Poke);
        _backOff = new RestartBackOff(options.CrashLoopBackOffBase, options.CrashLoopBackOffMax, TimeSpan.FromMinutes(10));
    }

    /// <summary>Pods bound to <paramref name="nodeName"/> only (field selector spec.nodeName), across all namespaces.</summary>
    public static ListWatch<V1Pod> ListWatchFor(IKubernetes client, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(client);
        string selector = "spec.nodeName=" + nodeName;
        return KubernetesListWatch.Create<V1Pod, V1PodList>(
            ct => client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: selector, cancellationToken: ct),
            (r, onError, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, fieldSelector: selector, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds,
                onError: onError, cancellationToken: ct));
    }

    /// <summary>Register on the pod informer: every change wakes the loop.</summary>
    public IInformerHandler<V1Pod> Handler => new InformerHandler<V1Pod>(_ => Poke(), (_, _) => Poke(), _ => Poke());

    /// <summary>Relists and syncs until cancelled, then waits for the starts and terminations under way.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RelistAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or HttpOperationException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                KubeletLog.RelistFailed(_logger, _options.RelistInterval.TotalSeconds, e);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // A call cut short by the stop surfaces as RpcException(Cancelled) as often as OperationCanceledException.
                break;
            }

            using var interval = new CancellationTokenSource(_options.RelistInterval, _time);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, interval.Token);
            try
            {
                await _poke.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The interval passed, or we are stopping (the loop condition decides).
            }
        }

        Task[] busy = [.. _states.Values.Select(s => s.Busy).OfType<Task>(), .. _orphans.Values];
        await Task.WhenAll(busy.Select(t => t.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default))).ConfigureAwait(false);
        await _probes.StopAllAsync().ConfigureAwait(false);
    }

    /// <summary>Releases the HTTP client of the probes and hooks; call after <see cref="RunAsync"/> returned.</summary>
    public void Dispose() => _handlers.Dispose();

    private void Poke() => _poke.Writer.TryWrite(true);

    private async Task RelistAsync(CancellationToken cancellationToken)
    {
        _cgroups.RetryPendingRemovals();
        var sandboxes = (await _cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), _cri.Options(cancellationToken)).ConfigureAwait(false)).Items;
        var containers = (await _cri.Runtime.ListContainersAsync(new ListContainersRequest(), _cri.Options(cancellationToken)).ConfigureAwait(false)).Containers;
        var sandboxesByUid = sandboxes.GroupBy(s => s.Metadata?.Uid ?? "").ToDictionary(g => g.Key, g => g.OrderByDescending(s => s.CreatedAt).ToList());
        var pods = _pods.Cache.List().Where(p => p.Spec?.NodeName == _options.NodeName && p.Metadata?.Uid is not null).ToList();
        var uids = pods.Select(p => p.Metadata.Uid).ToHashSet();
        // Probe workers of containers that no longer run stop here, whichever pod they belonged to.
        _probes.Retain(containers.Where(c => c.State == ContainerState.ContainerRunning).Select(c => c.Id).ToHashSet());

        foreach (V1Pod pod in pods)
        {
            PodState state = _states.GetOrAdd(pod.Metadata.Uid, _ => new PodState());
            if (state.Busy is { IsCompleted: false })
            {
                continue;
            }

            if (pod.Metadata.DeletionTimestamp is not null)
            {
                state.Busy = Task.Run(() => TerminateAsync(pod, cancellationToken), CancellationToken.None);
                continue;
            }

            state.Busy = Task.Run(() => SyncPodAsync(pod, state, cancellationToken), CancellationToken.None);
        }

        foreach (var (uid, list) in sandboxesByUid)
        {
            if (!uids.Contains(uid) && !(_states.TryGetValue(uid, out PodState? s) && s.Busy is { IsCompleted: false })
                && !(_orphans.TryGetValue(uid, out Task? running) && !running.IsCompleted))
            {
                _orphans[uid] = Task.Run(() => RemoveOrphanAsync(uid, [.. list.Select(x => x.Id)], cancellationToken), CancellationToken.None);
            }
        }

        foreach (string uid in _states.Keys.Where(u => !uids.Contains(u)).ToList())
        {
            if (_states.TryGetValue(uid, out PodState? s) && s.Busy is null or { IsCompleted: true })
            {
                _states.TryRemove(uid, out _);
                _backOff.Forget(uid);
            }
        }
    }

    private async Task StopAndRemoveAsync(IReadOnlyList<string> sandboxIds, long graceSeconds, CancellationToken cancellationToken)
    {
        foreach (string sandboxId in sandboxIds)
        {
            var listed = await _cri.Runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { PodSandboxId = sandboxId } },
                _cri.Options(cancellationToken)).ConfigureAwait(false);
            // The deadline outlasts the grace period: StopContainer returns once SIGTERM worked or SIGKILL followed.
            TimeSpan deadline = TimeSpan.FromSeconds(graceSeconds + 30);
            await Task.WhenAll(listed.Containers.Select(c => IgnoreNotFoundAsync(() => _cri.Runtime.StopContainerAsync(
                new StopContainerRequest { ContainerId = c.Id, Timeout = graceSeconds }, _cri.Options(cancellationToken, deadline)).ResponseAsync))).ConfigureAwait(false);
            foreach (Container c in listed.Containers)
            {
                await IgnoreNotFoundAsync(() => _cri.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = c.Id }, _cri.Options(cancellationToken)).ResponseAsync)
                    .ConfigureAwait(false);
            }

            await IgnoreNotFoundAsync(() => _cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = sandboxId }, _cri.Options(cancellationToken)).ResponseAsync)
                .ConfigureAwait(false);
            await IgnoreNotFoundAsync(() => _cri.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = sandboxId }, _cri.Options(cancellationToken)).ResponseAsync)
                .ConfigureAwait(false);
        }
    }

    private async Task TerminateAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        long grace = pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30;
        try
        {
            var sandboxes = await _cri.Runtime.ListPodSandboxAsync(SandboxesOf(pod.Metadata.Uid), _cri.Options(cancellationToken)).ConfigureAwait(false);
            string[] sandboxIds = [.. sandboxes.Items.Where(s => s.Metadata?.Uid == pod.Metadata.Uid).Select(s => s.Id)];
            await KillPodContainersAsync(pod, sandboxIds, grace, cancellationToken).ConfigureAwait(false);
            await StopAndRemoveAsync(sandboxIds, 2, cancellationToken).ConfigureAwait(false);
            _volumes.Cleanup(pod.Metadata.Uid);
            RemoveTerminationMessages(pod.Metadata.Uid);
            _cgroups.Remove(pod.Metadata.Uid);
            await _client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            KubeletLog.PodTerminated(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, grace);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Already gone, or a new pod of that name (another uid): nothing left to delete.
        }
        catch (Exception e) when (e is RpcException or HttpOperationException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            KubeletLog.PodTerminateFailed(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, e);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping; the next kubelet's relist finishes it.
        }

        Poke();
    }

    private async Task RemoveOrphanAsync(string uid, IReadOnlyList<string> sandboxIds, CancellationToken cancellationToken)
    {
        try
        {
            await StopAndRemoveAsync(sandboxIds, graceSeconds: 2, cancellationToken).ConfigureAwait(false);
            _volumes.Cleanup(uid);
            RemoveTerminationMessages(uid);
            _cgroups.Remove(uid);
            foreach (string id in sandboxIds)
            {
                KubeletLog.OrphanRemoved(_logger, id, uid);
            }
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            KubeletLog.RelistFailed(_logger, _options.RelistInterval.TotalSeconds, e);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private static async Task IgnoreNotFoundAsync<T>(Func<Task<T>> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // Already gone.
        }
    }
}
