using k8s.Models;
using Skiff.Agent.Network;
using Skiff.Machinery.Informers;

namespace Skiff.Agent.Proxy;

public sealed partial class ServiceProxy
{
    // The jumps from the built-in chains into ours, as kube-proxy installs them: (table, built-in chain, our chain, match).
    private static readonly (string Table, string Builtin, string Chain, string Comment, string[] Match)[] s_jumps =
    [
        (RuleSet.Nat, "PREROUTING", ProxyRules.Services, "kubernetes service portals", []),
        (RuleSet.Nat, "OUTPUT", ProxyRules.Services, "kubernetes service portals", []),
        (RuleSet.Nat, "POSTROUTING", ProxyRules.Postrouting, "kubernetes postrouting rules", []),
        (RuleSet.Filter, "FORWARD", ProxyRules.Forward, "kubernetes forwarding rules", []),
        (RuleSet.Filter, "FORWARD", ProxyRules.Services, "kubernetes service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
        (RuleSet.Filter, "FORWARD", ProxyRules.ExternalServices, "kubernetes externally-visible service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
        (RuleSet.Filter, "OUTPUT", ProxyRules.Services, "kubernetes service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
        (RuleSet.Filter, "INPUT", ProxyRules.ExternalServices, "kubernetes externally-visible service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
        (RuleSet.Filter, "INPUT", ProxyRules.Firewall, "kubernetes firewall for dropped packets", []),
    ];

    private async Task SyncLoopAsync(
        SharedInformer<V1Service> services, SharedInformer<V1EndpointSlice> slices, SharedInformer<V1Node> nodes, CancellationToken cancellationToken)
    {
        RuleSet? written = null;
        DateTimeOffset lastStart = DateTimeOffset.MinValue;
        DateTimeOffset lastFull = DateTimeOffset.MinValue;
        bool dirty = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            DateTimeOffset now = _time.GetUtcNow();
            TimeSpan untilFull = lastFull + _options.SyncPeriod - now;
            if (!dirty && untilFull > TimeSpan.Zero)
            {
                // Cancelled with the timer, so a quiet period leaves no waiter behind on the channel.
                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                await Task.WhenAny(_wake.Reader.WaitToReadAsync(waiting.Token).AsTask(), Task.Delay(untilFull, _time, waiting.Token)).ConfigureAwait(false);
                await waiting.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }

            // Changes that arrive within MinSyncPeriod of the last sync wait for the next one together.
            TimeSpan wait = lastStart + _options.MinSyncPeriod - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }

            _wake.Reader.TryRead(out _);
            dirty = false;
            lastStart = _time.GetUtcNow();
            bool full = written is null || lastStart - lastFull >= _options.SyncPeriod;
            // Taken before the caches are read: every change listed is in the snapshot (informers update the cache, then notify).
            List<ProxyChange> changes = TakePending();
            try
            {
                written = await SyncAsync(full ? null : written, services, slices, nodes, changes, lastStart, cancellationToken).ConfigureAwait(false);
                if (full)
                {
                    lastFull = lastStart;
                }
            }
            catch (NetCommandException e)
            {
                // What the kernel holds is unknown now: the next attempt rewrites everything.
                LogSyncFailed(_logger, e, e.Message);
                Metrics.Failures.Inc();
                ReturnPending(changes);
                written = null;
                dirty = true;
                await Task.Delay(TimeSpan.FromSeconds(1), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<RuleSet> SyncAsync(
        RuleSet? previous, SharedInformer<V1Service> services, SharedInformer<V1EndpointSlice> slices, SharedInformer<V1Node> nodes,
        List<ProxyChange> changes, DateTimeOffset started, CancellationToken cancellationToken)
    {
        long begin = _time.GetTimestamp();
        IReadOnlyList<ProxyServicePort> ports = ServicePortBuilder.Build(
            services.Cache.List(), slices.Cache.List(), _options.NodeName, nodes.Cache.Get(null, _options.NodeName));
        if (previous is null)
        {
            // A full sync (the first, the periodic one, or after a failed write) renders every port again, as kube-proxy does.
            _rules.Clear();
        }

        RuleSet desired = _rules.Render(ports);
        IReadOnlyDictionary<string, IReadOnlyCollection<string>>? existing = previous is null ? await OurChainsAsync(cancellationToken).ConfigureAwait(false) : null;
        string? input = desired.RestoreInput(previous, existing);
        (int changed, int deleted) = desired.CountChanges(previous);
        if (input is not null)
        {
            await Iptables.ApplyAsync(_options.Command, input, cancellationToken).ConfigureAwait(false);
        }

        if (previous is null)
        {
            foreach (var jump in s_jumps)
            {
                await Iptables.EnsureJumpAsync(_options.Command, jump.Table, jump.Builtin, jump.Chain, jump.Comment, jump.Match, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
            }
        }

        DateTimeOffset finished = _time.GetUtcNow();
        Metrics.SyncDuration.Observe(_time.GetElapsedTime(begin).TotalSeconds);
        Metrics.LastSync.Set(finished.ToUnixTimeMilliseconds() / 1000.0);
        Metrics.Rules.Set(desired.RuleCount);
        foreach (ProxyChange change in changes)
        {
            Metrics.NetworkProgramming.Observe(Math.Max(0, (finished - change.ObservedAt).TotalSeconds));
        }

        LogSynced(_logger, previous is null, ports.Count, _rules.LastRendered, changed, deleted, changes.Count, (finished - started).TotalMilliseconds);
        Synced?.Invoke(this, new ProxySyncedEventArgs
        {
            Started = started,
            Finished = finished,
            Full = previous is null,
            ChangedChains = input is null ? 0 : changed,
            DeletedChains = deleted,
            RuleCount = desired.RuleCount,
            RenderedPorts = _rules.LastRendered,
            Changes = changes,
        });
        return desired;
    }

    /// <summary>The KUBE-* chains the kernel holds now (a full sync deletes those it no longer wants, such as an earlier run's).</summary>
    private async Task<IReadOnlyDictionary<string, IReadOnlyCollection<string>>> OurChainsAsync(CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, IReadOnlyCollection<string>>(StringComparer.Ordinal);
        foreach (string table in new[] { RuleSet.Nat, RuleSet.Filter })
        {
            string saved = await _options.Command.RunAsync("iptables-save", ["-t", table], cancellationToken: cancellationToken).ConfigureAwait(false);
            result[table] = [.. Iptables.ChainNames(saved).Where(c => c.StartsWith("KUBE-", StringComparison.Ordinal))];
        }

        return result;
    }

    /// <summary>Removes the jumps, then every KUBE-* chain, within <see cref="ServiceProxyOptions.CleanupTimeout"/>.</summary>
    private async Task CleanupAsync()
    {
        using var timeout = new CancellationTokenSource(_options.CleanupTimeout, _time);
        try
        {
            foreach (var jump in s_jumps)
            {
                await Iptables.RemoveJumpAsync(_options.Command, jump.Table, jump.Builtin, jump.Chain, jump.Comment, jump.Match, timeout.Token).ConfigureAwait(false);
            }

            await Iptables.DeleteChainsAsync(_options.Command, RuleSet.Nat, "KUBE-", timeout.Token).ConfigureAwait(false);
            await Iptables.DeleteChainsAsync(_options.Command, RuleSet.Filter, "KUBE-", timeout.Token).ConfigureAwait(false);
            if (_routeLocalnetBefore is "0")
            {
                await _options.Command.RunAsync("sysctl", ["-w", RouteLocalnet + "=0"], cancellationToken: timeout.Token).ConfigureAwait(false);
            }

            LogCleanedUp(_logger);
        }
        catch (Exception e) when (e is NetCommandException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            LogCleanupFailed(_logger, e.Message);
        }
    }
}
