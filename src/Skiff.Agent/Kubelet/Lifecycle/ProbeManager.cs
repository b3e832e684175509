using System.Collections.Concurrent;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Kubelet.Lifecycle;

/// <summary>
/// Runs the liveness, readiness and startup probes of running containers: one worker per container id and probe, started
/// by the pod sync (<see cref="Ensure"/>) and stopped when the container is gone (<see cref="Retain"/>). A worker waits
/// initialDelaySeconds from the container's start, then probes every periodSeconds; while a startup probe has not
/// succeeded the other two wait. Results are kept by container id, so a restarted container starts from the defaults
/// (live, not ready, not started). Every change calls <c>onChange</c>, which wakes the pod loop.
/// </summary>
internal sealed class ProbeManager
{
    private readonly HandlerRunner _runner;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action _onChange;
    private readonly ConcurrentDictionary<(string Id, ProbeKind Kind), Worker> _workers = new();
    private readonly ConcurrentDictionary<(string Id, ProbeKind Kind), bool> _results = new();
    private readonly ConcurrentDictionary<string, ProbeKind> _gaveUp = new();

    public ProbeManager(HandlerRunner runner, TimeProvider timeProvider, ILogger logger, Action onChange)
    {
        _runner = runner;
        _time = timeProvider;
        _logger = logger;
        _onChange = onChange;
    }

    /// <summary>Starts the workers of a running container's probes (idempotent).</summary>
    public void Ensure(V1Pod pod, V1Container container, string containerId, DateTimeOffset startedAt, string? podIp, CancellationToken stopping)
    {
        Start(ProbeKind.Startup, container.StartupProbe);
        Start(ProbeKind.Liveness, container.LivenessProbe);
        Start(ProbeKind.Readiness, container.ReadinessProbe);

        void Start(ProbeKind kind, V1Probe? probe)
        {
            if (probe is null || _workers.ContainsKey((containerId, kind)))
            {
                return;
            }

            var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var worker = new Worker(pod, container, containerId, kind, probe, cts);
            if (_workers.TryAdd((containerId, kind), worker))
            {
                worker.Task = Task.Run(() => RunAsync(worker, startedAt, podIp, cts.Token), CancellationToken.None);
            }
            else
            {
                cts.Dispose();
            }
        }
    }

    /// <summary>Whether the container has started: its startup probe succeeded, or it has none.</summary>
    public bool Started(V1Container container, string containerId) =>
        container.StartupProbe is null || _results.GetValueOrDefault((containerId, ProbeKind.Startup));

    /// <summary>Whether the running container is ready: started, and its readiness probe succeeds (or it has none).</summary>
    public bool Ready(V1Container container, string containerId) =>
        Started(container, containerId) && (container.ReadinessProbe is null || _results.GetValueOrDefault((containerId, ProbeKind.Readiness)));

    /// <summary>The probe (liveness or startup) whose failure means the container must be killed, or null.</summary>
    public ProbeKind? Failed(string containerId) => _gaveUp.TryGetValue(containerId, out ProbeKind kind) ? kind : null;

    /// <summary>Stops the workers and forgets the results of every container whose id is not in <paramref name="running"/>.</summary>
    public void Retain(IReadOnlySet<string> running)
    {
        foreach (var key in _workers.Keys.Where(k => !running.Contains(k.Id)))
        {
            if (_workers.TryRemove(key, out Worker? worker))
            {
                worker.Cancel();
            }
        }

        foreach (var key in _results.Keys.Where(k => !running.Contains(k.Id)))
        {
            _results.TryRemove(key, out _);
        }

        foreach (string id in _gaveUp.Keys.Where(id => !running.Contains(id)))
        {
            _gaveUp.TryRemove(id, out _);
        }
    }

    /// <summary>Stops every worker and waits for them.</summary>
    public async Task StopAllAsync()
    {
        Worker[] all = [.. _workers.Values];
        _workers.Clear();
        foreach (Worker w in all)
        {
            w.Cancel();
        }

        await Task.WhenAll(all.Select(w => w.Task ?? Task.CompletedTask)).ConfigureAwait(false);
    }

    private async Task RunAsync(Worker worker, DateTimeOffset startedAt, string? podIp, CancellationToken cancellationToken)
    {
        var counter = new ProbeCounter(worker.Kind, worker.Probe.SuccessThreshold, worker.Probe.FailureThreshold);
        TimeSpan period = TimeSpan.FromSeconds(Math.Max(1, worker.Probe.PeriodSeconds ?? 10));
        try
        {
            TimeSpan initial = startedAt + TimeSpan.FromSeconds(Math.Max(0, worker.Probe.InitialDelaySeconds ?? 0)) - _time.GetUtcNow();
            if (initial > TimeSpan.Zero)
            {
                await Task.Delay(initial, _time, cancellationToken).ConfigureAwait(false);
            }

            while (!cancellationToken.IsCancellationRequested)
            {
                if (worker.Kind == ProbeKind.Startup || Started(worker.Container, worker.ContainerId))
                {
                    HandlerResult result = await _runner.RunProbeAsync(worker.Container, worker.ContainerId, podIp, worker.Probe, cancellationToken).ConfigureAwait(false);
                    if (!result.Succeeded)
                    {
                        LifecycleLog.ProbeFailed(_logger, worker.Kind, worker.Pod.Metadata.NamespaceProperty, worker.Pod.Metadata.Name, worker.Container.Name, result.Message);
                    }

                    bool changed = counter.Record(result.Succeeded) || !_results.ContainsKey((worker.ContainerId, worker.Kind));
                    bool gaveUp = worker.Kind != ProbeKind.Readiness && counter.FailureThresholdReached;
                    if (gaveUp)
                    {
                        _gaveUp[worker.ContainerId] = worker.Kind;
                    }

                    if (changed || gaveUp)
                    {
                        _results[(worker.ContainerId, worker.Kind)] = counter.Succeeding;
                        _onChange();
                    }

                    // A failed liveness or startup probe ends with the kill; a succeeded startup probe has done its job.
                    if (gaveUp || (worker.Kind == ProbeKind.Startup && counter.Succeeding))
                    {
                        return;
                    }
                }

                await Task.Delay(period, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The container is gone or the kubelet stops.
        }
        catch (Grpc.Core.RpcException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled mid-exec.
        }
    }

    private sealed class Worker(V1Pod pod, V1Container container, string containerId, ProbeKind kind, V1Probe probe, CancellationTokenSource cts)
    {
        public V1Pod Pod { get; } = pod;

        public V1Container Container { get; } = container;

        public string ContainerId { get; } = containerId;

        public ProbeKind Kind { get; } = kind;

        public V1Probe Probe { get; } = probe;

        public Task? Task { get; set; }

        public void Cancel()
        {
            cts.Cancel();
            cts.Dispose();
        }
    }
}
