using System.Globalization;
using System.Net;
using System.Threading.Channels;
using k8s.Models;
using Skiff.Machinery.Informers;

namespace Skiff.Agent.Network;

public sealed partial class PodNetwork
{
    /// <summary>Keeps routes/VXLAN entries to the other nodes' pod CIDRs until cancelled, then removes what it added.</summary>
    /// <remarks>
    /// One loop: a Node event wakes it for a pass over the informer's cache (only changed entries are written); every
    /// <see cref="PodNetworkOptions.ResyncPeriod"/> a full pass also rewrites the bridge, iptables, the VXLAN device and every
    /// entry, and deletes routes carrying <see cref="RouteProtocol"/> that no peer explains (left by an earlier run).
    /// </remarks>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var applied = new Dictionary<IPNetwork, PeerRoute>();
        try
        {
            await using var factory = new SharedInformerFactory(_client, _time, _loggerFactory, TimeSpan.Zero);
            SharedInformer<V1Node> nodes = factory.Nodes();
            var wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
            nodes.AddEventHandler(new InformerHandler<V1Node>(
                _ => wake.Writer.TryWrite(true), (_, _) => wake.Writer.TryWrite(true), _ => wake.Writer.TryWrite(true)));
            factory.Start(cancellationToken);
            await nodes.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
            LogRunning(_logger, _options.NodeName, _options.NodeIp, _options.PodCidr, _options.Backend);

            var direct = new Dictionary<IPAddress, bool>();
            string? vtepMac = null;
            DateTimeOffset nextResync = _time.GetUtcNow();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                bool full = _time.GetUtcNow() >= nextResync;
                bool ok = true;
                if (full)
                {
                    nextResync = _time.GetUtcNow() + _options.ResyncPeriod;
                    direct.Clear();
                    (vtepMac, ok) = await ResyncHostAsync(vtepMac, cancellationToken).ConfigureAwait(false);
                }

                IReadOnlyList<V1Node> snapshot = nodes.Cache.List();
                if (vtepMac is not null)
                {
                    await PublishVtepMacAsync(snapshot, vtepMac, cancellationToken).ConfigureAwait(false);
                }

                ok &= await ReconcileAsync(snapshot, applied, direct, vtepMac is not null, full, cancellationToken).ConfigureAwait(false);
                if (!ok)
                {
                    // Something failed: try again soon rather than at the next regular resync.
                    DateTimeOffset retry = _time.GetUtcNow() + TimeSpan.FromSeconds(5);
                    nextResync = retry < nextResync ? retry : nextResync;
                }

                await WaitAsync(wake.Reader, nextResync - _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            // A failure (the caller starts this again) leaves routes in place so pod traffic keeps flowing meanwhile.
            if (cancellationToken.IsCancellationRequested)
            {
                await CleanupAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Until a Node event arrives or <paramref name="timeout"/> passes.</summary>
    private async Task WaitAsync(ChannelReader<bool> wake, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout > TimeSpan.Zero && !wake.TryRead(out _))
        {
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task woken = wake.WaitToReadAsync(waiting.Token).AsTask();
            Task timer = Task.Delay(timeout, _time, waiting.Token);
            await Task.WhenAny(woken, timer).ConfigureAwait(false);
            await waiting.CancelAsync().ConfigureAwait(false);
            wake.TryRead(out _);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Sysctls, bridge, iptables and (backend Auto or Vxlan) the VXLAN device; returns the device's MAC (null without one) and whether all went well.</summary>
    private async Task<(string? Mac, bool Ok)> ResyncHostAsync(string? previousMac, CancellationToken cancellationToken)
    {
        try
        {
            await EnsureHostAsync(cancellationToken).ConfigureAwait(false);
            if (!UsesVxlan)
            {
                return (null, true);
            }

            if (await UnderlayAsync(cancellationToken).ConfigureAwait(false) is not { } underlay)
            {
                LogNoUnderlay(_logger, _options.NodeIp);
                return (null, true);
            }

            return (await EnsureVxlanDeviceAsync(underlay.Device, underlay.Mtu, cancellationToken).ConfigureAwait(false), true);
        }
        catch (NetCommandException e)
        {
            LogResyncFailed(_logger, e);
            return (previousMac, false);
        }
    }

    /// <summary>
    /// Brings the written entries in line with the Node objects: removes entries of deleted nodes and changed pod CIDRs, adds
    /// new ones; on a full pass writes every entry again and prunes unexplained routes of ours. False when a command failed.
    /// </summary>
    private async Task<bool> ReconcileAsync(
        IReadOnlyList<V1Node> nodes, Dictionary<IPNetwork, PeerRoute> applied, Dictionary<IPAddress, bool> direct, bool vxlanReady, bool full,
        CancellationToken cancellationToken)
    {
        bool ok = true;
        if (_options.Backend == PodNetworkBackend.Auto)
        {
            foreach (V1Node node in nodes)
            {
                if (node.Metadata?.Name != _options.NodeName && PodNetworkPlan.TryPeer(node, out _, out IPAddress ip) && !direct.ContainsKey(ip))
                {
                    direct[ip] = await IsDirectlyConnectedAsync(ip, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        IReadOnlyList<PeerRoute> desired = [.. PodNetworkPlan.Plan(_options, nodes, ip => direct.GetValueOrDefault(ip))
            .Where(p => vxlanReady || p.Kind == PeerRouteKind.HostGw)];
        var (remove, add) = PodNetworkPlan.Diff(applied.Values, desired);
        foreach (PeerRoute peer in remove)
        {
            await RemoveEntryAsync(peer, cancellationToken).ConfigureAwait(false);
            applied.Remove(peer.PodCidr);
            LogPeerRemoved(_logger, peer.NodeName, peer.PodCidr, peer.Kind);
        }

        foreach (PeerRoute peer in full ? desired : add)
        {
            try
            {
                await AddEntryAsync(peer, cancellationToken).ConfigureAwait(false);
                if (!applied.ContainsKey(peer.PodCidr))
                {
                    LogPeerAdded(_logger, peer.NodeName, peer.PodCidr, peer.Kind, peer.NodeIp);
                }

                applied[peer.PodCidr] = peer;
            }
            catch (NetCommandException e)
            {
                LogEntryFailed(_logger, e, peer.NodeName, peer.PodCidr);
                ok = false;
            }
        }

        if (full)
        {
            foreach (string dst in await OwnRoutesAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!IPNetwork.TryParse(dst, out IPNetwork cidr) || !applied.ContainsKey(cidr))
                {
                    await Command.TryRunAsync("ip", ["route", "del", dst, "proto", Proto], cancellationToken: cancellationToken).ConfigureAwait(false);
                    LogStaleRouteRemoved(_logger, dst);
                }
            }
        }

        return ok;
    }

    /// <summary>True when <c>ip route get</c> reaches <paramref name="peer"/> without a gateway (same L2 segment: host-gw works).</summary>
    private async Task<bool> IsDirectlyConnectedAsync(IPAddress peer, CancellationToken cancellationToken)
    {
        var (code, output, _) = await Command.TryRunAsync("ip", ["-4", "route", "get", peer.ToString()], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return code == 0 && !output.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Contains("via");
    }

    private static string Proto => RouteProtocol.ToString(CultureInfo.InvariantCulture);

    private async Task AddEntryAsync(PeerRoute peer, CancellationToken cancellationToken)
    {
        string cidr = peer.PodCidr.ToString();
        if (peer.Kind == PeerRouteKind.HostGw)
        {
            await Command.RunAsync("ip", ["route", "replace", cidr, "via", peer.NodeIp.ToString(), "proto", Proto], cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return;
        }

        string device = _options.VxlanDevice;
        string vtep = peer.VtepAddress.ToString();
        string mac = peer.VtepMac!;
        await Command.RunAsync("ip", ["neigh", "replace", vtep, "lladdr", mac, "dev", device, "nud", "permanent"], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        // replace rather than append: the same entry again (every resync) is then no error.
        await Command.RunAsync("bridge", ["fdb", "replace", mac, "dev", device, "dst", peer.NodeIp.ToString(), "self", "permanent"], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        await Command.RunAsync("ip", ["route", "replace", cidr, "via", vtep, "dev", device, "onlink", "proto", Proto], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Removes one peer's entries; entries already gone are fine.</summary>
    private async Task RemoveEntryAsync(PeerRoute peer, CancellationToken cancellationToken)
    {
        await Command.TryRunAsync("ip", ["route", "del", peer.PodCidr.ToString(), "proto", Proto], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (peer.Kind == PeerRouteKind.Vxlan)
        {
            string device = _options.VxlanDevice;
            await Command.TryRunAsync("ip", ["neigh", "del", peer.VtepAddress.ToString(), "dev", device], cancellationToken: cancellationToken).ConfigureAwait(false);
            await Command.TryRunAsync("bridge", ["fdb", "del", peer.VtepMac!, "dev", device, "dst", peer.NodeIp.ToString(), "self"], cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>The destinations of the IPv4 routes carrying <see cref="RouteProtocol"/> (this class's routes).</summary>
    private async Task<IReadOnlyList<string>> OwnRoutesAsync(CancellationToken cancellationToken)
    {
        string listing = await Command.RunAsync("ip", ["-4", "route", "show", "proto", Proto], cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 2)[0])];
    }

    /// <summary>Removes the routes, the VXLAN device and the iptables chains (not the bridge: pods still use it), within 10 s.</summary>
    private async Task CleanupAsync()
    {
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(10), _time);
        CancellationToken token = bounded.Token;
        try
        {
            foreach (string dst in await OwnRoutesAsync(token).ConfigureAwait(false))
            {
                await Command.TryRunAsync("ip", ["route", "del", dst, "proto", Proto], cancellationToken: token).ConfigureAwait(false);
            }

            if (UsesVxlan)
            {
                await Command.TryRunAsync("ip", ["link", "del", _options.VxlanDevice], cancellationToken: token).ConfigureAwait(false);
            }

            await RemoveIptablesAsync(token).ConfigureAwait(false);
            LogCleanedUp(_logger, _options.BridgeName);
        }
        catch (Exception e) when (e is NetCommandException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            LogCleanupFailed(_logger, e);
        }
    }
}
