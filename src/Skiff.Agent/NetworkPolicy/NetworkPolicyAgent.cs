using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Network;
using Skiff.Machinery.Informers;

namespace Skiff.Agent.NetworkPolicy;

/// <summary>
/// Enforces NetworkPolicy for the pods on this node with iptables filter chains (as Calico does): watched policies, pods and
/// namespaces become per-pod ingress and egress chains reached from FORWARD; traffic a policy does not allow is dropped.
/// </summary>
public sealed partial class NetworkPolicyAgent
{
    private static readonly TimeSpan s_cleanupTimeout = TimeSpan.FromSeconds(10);

    private readonly IKubernetes _client;
    private readonly NetworkPolicyOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<bool> _dirty = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>The rules last written, and the chains they declared (the ones to delete when no longer wanted).</summary>
    private string? _written;
    private HashSet<string> _ownedChains = [];

    public NetworkPolicyAgent(IKubernetes client, NetworkPolicyOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _client = client;
        _options = options;
        _loggerFactory = loggerFactory;
        _time = time;
        _logger = loggerFactory.CreateLogger<NetworkPolicyAgent>();
    }

    /// <summary>Enforces until cancelled, then removes its chains and jumps.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var factory = new SharedInformerFactory(_client, _time, _loggerFactory, TimeSpan.Zero);
        SharedInformer<V1NetworkPolicy> policies = factory.GetOrCreate(NetworkPolicies, null);
        SharedInformer<V1Pod> pods = factory.Pods();
        SharedInformer<V1Namespace> namespaces = factory.Namespaces();
        policies.AddEventHandler(new InformerHandler<V1NetworkPolicy>(_ => MarkDirty(), (_, _) => MarkDirty(), _ => MarkDirty()));
        pods.AddEventHandler(new InformerHandler<V1Pod>(_ => MarkDirty(), (o, n) => PodChanged(o, n), _ => MarkDirty()));
        namespaces.AddEventHandler(new InformerHandler<V1Namespace>(_ => MarkDirty(), (o, n) => LabelsChanged(o.Metadata, n.Metadata), _ => MarkDirty()));
        try
        {
            await PrepareAsync(cancellationToken).ConfigureAwait(false);
            factory.Start(cancellationToken);
            await factory.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false);
            LogStarted(_logger, _options.NodeName);
            MarkDirty();
            await SyncLoopAsync(policies, pods, namespaces, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await CleanUpAsync().ConfigureAwait(false);
        }
    }

    private static ListWatch<V1NetworkPolicy> NetworkPolicies(IKubernetes client) =>
        KubernetesListWatch.Create<V1NetworkPolicy, V1NetworkPolicyList>(
            ct => client.NetworkingV1.ListNetworkPolicyForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.NetworkingV1.WatchListNetworkPolicyForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));

    private void MarkDirty() => _dirty.Writer.TryWrite(true);

    /// <summary>Pod status churn (conditions, container states) does not change policy; only labels, address, node and phase do (ports are immutable).</summary>
    private void PodChanged(V1Pod before, V1Pod after)
    {
        if (AllowedTraffic.PolicyIp(before) != AllowedTraffic.PolicyIp(after) || before.Spec?.NodeName != after.Spec?.NodeName
            || !SameLabels(before.Metadata?.Labels, after.Metadata?.Labels))
        {
            MarkDirty();
        }
    }

    private void LabelsChanged(V1ObjectMeta? before, V1ObjectMeta? after)
    {
        if (!SameLabels(before?.Labels, after?.Labels))
        {
            MarkDirty();
        }
    }

    private static bool SameLabels(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a is null || a.All(kv => b is not null && b.TryGetValue(kv.Key, out string? v) && v == kv.Value));

    /// <summary>Bridged pod-to-pod traffic reaches FORWARD only with br_netfilter's sysctl on; chains left by an earlier run become ours to replace.</summary>
    private async Task PrepareAsync(CancellationToken cancellationToken)
    {
        NetCommand command = _options.Command;
        var (code, _, error) = await command.TryRunAsync("sysctl", ["-w", "net.bridge.bridge-nf-call-iptables=1"], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (code != 0)
        {
            await command.TryRunAsync("modprobe", ["br_netfilter"], cancellationToken: cancellationToken).ConfigureAwait(false);
            (code, _, error) = await command.TryRunAsync("sysctl", ["-w", "net.bridge.bridge-nf-call-iptables=1"], cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            if (code != 0)
            {
                LogBridgeSysctlFailed(_logger, error.Trim());
            }
        }

        string saved = await command.RunAsync("iptables-save", ["-t", "filter"], cancellationToken: cancellationToken).ConfigureAwait(false);
        // A restart after a failure (or a stop) starts from what the table holds now, not from what an earlier run wrote.
        _written = null;
        _ownedChains = [.. Iptables.ChainNames(saved).Where(c => c.StartsWith(PolicyRules.Prefix, StringComparison.Ordinal))];
    }
}
