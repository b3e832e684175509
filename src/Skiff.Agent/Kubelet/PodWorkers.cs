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
using Skiff.Agent.Kubelet.Volumes;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;
using Skiff.Machinery.Informers;

namespace Skiff.Agent.Kubelet;

/// <summary>
/// Runs this node's pods on the CRI runtime. One loop relists the runtime every <see cref="KubeletOptions.RelistInterval"/>
/// (sooner when the pod informer reports a change) and, per pod, starts it (sandbox, images, containers), terminates it
/// (deletionTimestamp set: stop with the grace period, remove, delete with grace 0) or writes its status when it changed.
/// Sandboxes whose pod is gone from the API are removed. Starts and terminations run beside the loop, one at a time per pod.
/// </summary>
public sealed partial class PodWorkers
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
    }

    private void Poke() => _poke.Writer.TryWrite(true);

    private async Task RelistAsync(CancellationToken cancellationToken)
    {
        var sandboxes = (await _cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), _cri.Options(cancellationToken)).ConfigureAwait(false)).Items;
        var containers = (await _cri.Runtime.ListContainersAsync(new ListContainersRequest(), _cri.Options(cancellationToken)).ConfigureAwait(false)).Containers;
        var sandboxesByUid = sandboxes.GroupBy(s => s.Metadata?.Uid ?? "").ToDictionary(g => g.Key, g => g.OrderByDescending(s => s.CreatedAt).ToList());
        var pods = _pods.Cache.List().Where(p => p.Spec?.NodeName == _options.NodeName && p.Metadata?.Uid is not null).ToList();
        var uids = pods.Select(p => p.Metadata.Uid).ToHashSet();

        foreach (V1Pod pod in pods)
        {
            PodState state = _states.GetOrAdd(pod.Metadata.Uid, _ => new PodState());
            if (state.Busy is { IsCompleted: false })
            {
                continue;
            }

            var podSandboxes = sandboxesByUid.GetValueOrDefault(pod.Metadata.Uid) ?? [];
            if (pod.Metadata.DeletionTimestamp is not null)
            {
                state.Busy = Task.Run(() => TerminateAsync(pod, [.. podSandboxes.Select(s => s.Id)], cancellationToken), CancellationToken.None);
                continue;
            }

            if (!state.Launched && podSandboxes.Count == 0 && pod.Status?.Phase is not ("Succeeded" or "Failed"))
            {
                state.Launched = true;
                state.StartTime = _time.GetUtcNow().UtcDateTime;
                state.Busy = Task.Run(() => StartAsync(pod, state, cancellationToken), CancellationToken.None);
                continue;
            }

            if (podSandboxes.Count > 0)
            {
                await WriteStatusAsync(pod, state, podSandboxes[0], containers, cancellationToken).ConfigureAwait(false);
                await _volumes.RefreshAsync(pod, cancellationToken).ConfigureAwait(false);
            }
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
            }
        }
    }

    private async Task WriteStatusAsync(V1Pod pod, PodState state, PodSandbox sandbox, IEnumerable<Container> all, CancellationToken cancellationToken)
    {
        var sandboxStatus = await _cri.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = sandbox.Id }, _cri.Options(cancellationToken))
            .ConfigureAwait(false);
        string? ip = sandboxStatus.Status.State == PodSandboxState.SandboxReady && !string.IsNullOrEmpty(sandboxStatus.Status.Network?.Ip)
            ? sandboxStatus.Status.Network.Ip
            : null;
        var byName = new Dictionary<string, ContainerStatus>();
        foreach (Container c in all.Where(c => c.PodSandboxId == sandbox.Id).OrderBy(c => c.CreatedAt))
        {
            try
            {
                var status = await _cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = c.Id }, _cri.Options(cancellationToken))
                    .ConfigureAwait(false);
                byName[c.Metadata.Name] = status.Status;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                // Removed since the list.
            }
        }

        DateTime now = _time.GetUtcNow().UtcDateTime;
        DateTime start = pod.Status?.StartTime ?? state.StartTime ?? now;
        var runtime = new PodRuntimeState(ip, byName, state.Waiting);
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
        }
        catch (HttpOperationException e)
        {
            KubeletLog.StatusWriteFailed(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, e);
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

    private async Task TerminateAsync(V1Pod pod, IReadOnlyList<string> sandboxIds, CancellationToken cancellationToken)
    {
        long grace = pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30;
        try
        {
            await StopAndRemoveAsync(sandboxIds, grace, cancellationToken).ConfigureAwait(false);
            _volumes.Cleanup(pod.Metadata.Uid);
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

    /// <summary>What the kubelet remembers of one pod between relists.</summary>
    private sealed class PodState
    {
        public bool Launched { get; set; }

        public DateTime? StartTime { get; set; }

        public Task? Busy { get; set; }

        public ConcurrentDictionary<string, (string Reason, string Message)> Waiting { get; } = new();

        public string? LastStatusJson { get; set; }

        public IList<V1PodCondition>? Conditions { get; set; }
    }
}
