using System.Globalization;
using System.Net;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Kubelet;
using Skiff.Machinery.Informers;

namespace Skiff.Agent.Hollow;

/// <summary>
/// A SIMULATION of N nodes, in the manner of kubemark's hollow nodes or KWOK, for scale tests and benchmarks only, never for
/// the real end-to-end tests: through the kubelet's own <see cref="NodeRegistration"/> over a fake <see cref="HollowNodeRuntime"/>
/// it registers Node objects with capacity and conditions and renews each node's Lease in kube-node-lease, and plays a fake runtime that marks every pod bound to one of its nodes Running and Ready with a made-up
/// pod IP, and finishes a deleted pod's termination (a grace-0 delete) as a kubelet would. No container runs anywhere.
/// </summary>
public sealed class HollowNodes : IAsyncDisposable
{
    public const string Label = "skiff.io/hollow-node";

    private readonly IKubernetes _client;
    private readonly HollowNodeOptions _options;
    private readonly HashSet<string> _names;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<V1Pod> _work = Channel.CreateUnbounded<V1Pod>();
    private readonly SharedInformerFactory _informers;
    private readonly List<Task> _loops = [];
    private readonly Dictionary<string, NodeRegistration> _registrations;
    private int _nextIp;

    private HollowNodes(IKubernetes client, HollowNodeOptions options)
    {
        _client = client;
        _options = options;
        _names = [.. Enumerable.Range(0, options.Count).Select(NodeName)];
        // The same NodeRegistration as a real kubelet (Node, status, Lease), over a fake runtime and machine.
        _registrations = Enumerable.Range(0, options.Count).ToDictionary(NodeName, i => new NodeRegistration(
            client, new HollowNodeRuntime(options, NodeName(i)), KubeletOptionsFor(options, NodeName(i), i), NullLogger.Instance, TimeProvider.System));
        _informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
    }

    public IReadOnlyCollection<string> NodeNames => _names;

    /// <summary>Registers the nodes and their Leases, then keeps them alive and runs their pods until disposed.</summary>
    public static async Task<HollowNodes> StartAsync(IKubernetes client, HollowNodeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        var nodes = new HollowNodes(client, options);
        await nodes.ForEachNodeAsync(nodes.RegisterAsync, cancellationToken);
        nodes._informers.Pods().AddEventHandler(new InformerHandler<V1Pod>(nodes.Offer, (_, pod) => nodes.Offer(pod), _ => { }));
        nodes._informers.Start(nodes._stop.Token);
        await nodes._informers.WaitForCacheSyncAsync(cancellationToken);
        nodes._loops.Add(Task.Run(() => nodes.RenewLoopAsync(nodes._stop.Token), CancellationToken.None));
        for (int i = 0; i < options.Concurrency; i++)
        {
            nodes._loops.Add(Task.Run(() => nodes.RuntimeLoopAsync(nodes._stop.Token), CancellationToken.None));
        }

        return nodes;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _work.Writer.TryComplete();
        await Task.WhenAll(_loops);
        await _informers.DisposeAsync();
        _stop.Dispose();
    }

    private string NodeName(int index) => string.Create(CultureInfo.InvariantCulture, $"{_options.NamePrefix}-{index}");

    private async Task ForEachNodeAsync(Func<string, CancellationToken, Task> action, CancellationToken cancellationToken) =>
        await Parallel.ForEachAsync(
            _names,
            new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = cancellationToken },
            async (name, token) => await action(name, token));

    private static KubeletOptions KubeletOptionsFor(HollowNodeOptions options, string name, int index) => new()
    {
        NodeName = name,
        InternalIp = string.Create(CultureInfo.InvariantCulture, $"10.127.{(index >> 8) & 255}.{index & 255}"),
        DataDir = "/nonexistent/hollow",
        KubeletVersion = "v1.32.0-hollow",
        MaxPods = int.Parse(options.Pods, CultureInfo.InvariantCulture),
        LeaseRenewInterval = options.LeaseRenewInterval,
        EvictionHard = EvictionThresholds.None,
        NodeLabels = new Dictionary<string, string>(options.Labels) { [Label] = "true" },
    };

    private async Task RegisterAsync(string name, CancellationToken cancellationToken) =>
        await _registrations[name].RegisterAsync(cancellationToken);

    private async Task RenewLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.LeaseRenewInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await ForEachNodeAsync(RenewAsync, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private async Task RenewAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await _registrations[name].RenewLeaseAsync(cancellationToken);
            // Writes only when something changed or the 5-minute report is due, as a kubelet does.
            await _registrations[name].UpdateStatusAsync(force: false, cancellationToken);
        }
        catch (HttpOperationException)
        {
            // A missed renewal is what a real node has too; the next tick tries again.
        }
    }

    private void Offer(V1Pod pod)
    {
        if (pod.Spec?.NodeName is { } node && _names.Contains(node) && (pod.Metadata.DeletionTimestamp is not null || pod.Status?.Phase is null or "Pending"))
        {
            _work.Writer.TryWrite(pod);
        }
    }

    private async Task RuntimeLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (V1Pod pod in _work.Reader.ReadAllAsync(cancellationToken))
            {
                try
                {
                    await (pod.Metadata.DeletionTimestamp is null ? StartAsync(pod, cancellationToken) : FinishAsync(pod, cancellationToken));
                }
                catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
                {
                    // The pod went or changed meanwhile; its next event brings it back if there is still work.
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private async Task StartAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        int n = Interlocked.Increment(ref _nextIp);
        string ip = string.Create(CultureInfo.InvariantCulture, $"10.{128 + ((n >> 16) & 63)}.{(n >> 8) & 255}.{n & 255}");
        string now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        string containers = string.Join(',', (pod.Spec.Containers ?? []).Select(c =>
            $$$$"""{"name":"{{{{c.Name}}}}","image":"{{{{c.Image}}}}","imageID":"","ready":true,"started":true,"restartCount":0,"state":{"running":{"startedAt":"{{{{now}}}}"}}}"""));
        string patch = $$$"""
            {"status":{"phase":"Running","podIP":"{{{ip}}}","podIPs":[{"ip":"{{{ip}}}"}],"hostIP":"10.127.0.1","startTime":"{{{now}}}",
             "conditions":[{"type":"PodScheduled","status":"True","lastTransitionTime":"{{{now}}}"},{"type":"Initialized","status":"True","lastTransitionTime":"{{{now}}}"},
              {"type":"ContainersReady","status":"True","lastTransitionTime":"{{{now}}}"},{"type":"Ready","status":"True","lastTransitionTime":"{{{now}}}"}],
             "containerStatuses":[{{{containers}}}]}}
            """;
        await _client.CoreV1.PatchNamespacedPodStatusAsync(
            new V1Patch(patch, V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
    }

    // A kubelet ends a graceful deletion by deleting with grace 0 once its containers stopped; here nothing has to stop.
    private async Task FinishAsync(V1Pod pod, CancellationToken cancellationToken) =>
        await _client.CoreV1.DeleteNamespacedPodAsync(
            pod.Metadata.Name,
            pod.Metadata.NamespaceProperty,
            new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } },
            cancellationToken: cancellationToken);
}
