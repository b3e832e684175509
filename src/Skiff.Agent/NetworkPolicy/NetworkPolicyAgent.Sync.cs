using System.Text;
using k8s.Models;
using Skiff.Agent.Network;
using Skiff.Machinery.Informers;

namespace Skiff.Agent.NetworkPolicy;

public sealed partial class NetworkPolicyAgent
{
    private static readonly TimeSpan s_retryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Syncs whenever something changed (at most once per MinSyncPeriod) and every ResyncPeriod; a failed sync is retried.</summary>
    private async Task SyncLoopAsync(
        SharedInformer<V1NetworkPolicy> policies, SharedInformer<V1Pod> pods, SharedInformer<V1Namespace> namespaces, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                wait.CancelAfter(_options.ResyncPeriod);
                try
                {
                    await _dirty.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Periodic resync.
                }
            }

            try
            {
                await SyncAsync(policies.Cache.List(), pods.Cache.List(), namespaces.Cache.List(), cancellationToken).ConfigureAwait(false);
                await Task.Delay(_options.MinSyncPeriod, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NetCommandException or IOException or System.ComponentModel.Win32Exception)
            {
                LogSyncFailed(_logger, e);
                _written = null;
                MarkDirty();
                await Task.Delay(s_retryDelay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One sync: computes every local pod's allowed traffic, writes the chains when they changed, and keeps the FORWARD jump first.</summary>
    private async Task SyncAsync(
        IReadOnlyList<V1NetworkPolicy> policies, IReadOnlyList<V1Pod> pods, IReadOnlyList<V1Namespace> namespaces, CancellationToken cancellationToken)
    {
        var cluster = new ClusterView(pods, namespaces);
        var traffic = new List<PodTraffic>();
        foreach ((V1Pod pod, string ip) in cluster.Pods)
        {
            if (pod.Spec?.NodeName == _options.NodeName)
            {
                traffic.Add(AllowedTraffic.Compute(pod, ip, policies, cluster));
            }
        }

        (string rules, IReadOnlyList<string> chains) = PolicyRules.Render(traffic);
        if (rules != _written)
        {
            var input = new StringBuilder("*filter\n");
            input.Append(rules);
            List<string> stale = [.. _ownedChains.Except(chains)];
            foreach (string chain in stale)
            {
                input.Append(':').Append(chain).Append(" - [0:0]\n");
            }

            foreach (string chain in stale)
            {
                input.Append("-X ").Append(chain).Append('\n');
            }

            input.Append("COMMIT\n");
            await Iptables.ApplyAsync(_options.Command, input.ToString(), cancellationToken).ConfigureAwait(false);
            _written = rules;
            _ownedChains = [.. chains];
            int isolated = traffic.Count(t => t.Ingress is not null || t.Egress is not null);
            LogSynced(_logger, isolated, traffic.Count, chains.Count);
        }

        await EnsureJumpFirstAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The FORWARD jump must come before any other component's rules, which may ACCEPT; it is moved back to the top when something was inserted above it.</summary>
    private async Task EnsureJumpFirstAsync(CancellationToken cancellationToken)
    {
        NetCommand command = _options.Command;
        string forward = await command.RunAsync("iptables", ["-w", "-t", "filter", "-S", "FORWARD"], cancellationToken: cancellationToken).ConfigureAwait(false);
        string? first = forward.Split('\n').FirstOrDefault(l => l.StartsWith("-A FORWARD", StringComparison.Ordinal));
        if (first is not null && first.EndsWith("-j " + PolicyRules.DispatchChain, StringComparison.Ordinal)
            && forward.Split('\n').Count(l => l.EndsWith("-j " + PolicyRules.DispatchChain, StringComparison.Ordinal)) == 1)
        {
            return;
        }

        if (first is not null)
        {
            await Iptables.RemoveJumpAsync(command, "filter", "FORWARD", PolicyRules.DispatchChain, PolicyRules.JumpComment, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }

        await Iptables.EnsureJumpAsync(command, "filter", "FORWARD", PolicyRules.DispatchChain, PolicyRules.JumpComment, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        LogJumpInserted(_logger);
    }

    /// <summary>Removes the jump and every SKIFF-NP-* chain, bounded in time (the agent is stopping; a later start rewrites them anyway).</summary>
    private async Task CleanUpAsync()
    {
        using var timeout = new CancellationTokenSource(s_cleanupTimeout);
        try
        {
            await Iptables.RemoveJumpAsync(_options.Command, "filter", "FORWARD", PolicyRules.DispatchChain, PolicyRules.JumpComment, cancellationToken: timeout.Token)
                .ConfigureAwait(false);
            await Iptables.DeleteChainsAsync(_options.Command, "filter", PolicyRules.Prefix, timeout.Token).ConfigureAwait(false);
            LogCleanedUp(_logger);
        }
        catch (Exception e) when (e is NetCommandException or IOException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            LogCleanupFailed(_logger, e);
        }
    }
}
