using System.Globalization;
using System.Net;
using k8s;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Network;

/// <summary>
/// The node's part of the pod network (flannel's role): before containerd starts, the CNI bridge with the node's gateway
/// address, IP forwarding, bridged traffic through iptables, and masquerading of pod traffic that leaves the cluster CIDR;
/// while running, a route (host-gw) or VXLAN entries to every other node's pod CIDR, kept in step with the Node objects;
/// on stop, everything it added except the bridge its pods still use.
/// </summary>
public sealed partial class PodNetwork
{
    /// <summary>Node annotation with this node's VXLAN device MAC address (flannel publishes the same as backend-data).</summary>
    public const string VtepMacAnnotation = "skiff.io/vtep-mac";

    /// <summary>The routing protocol number on every route this class adds, so that a restarted agent finds (and prunes) its own routes.</summary>
    public const int RouteProtocol = 83;

    /// <summary>What VXLAN encapsulation costs (outer IPv4, UDP, VXLAN and Ethernet headers): pods get the underlay MTU minus this.</summary>
    public const int VxlanOverhead = 50;

    private readonly IKubernetes _client;
    private readonly PodNetworkOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<PodNetwork> _logger;
    private readonly TimeProvider _time;

    public PodNetwork(IKubernetes client, PodNetworkOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _client = client;
        _options = options;
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<PodNetwork>();
    }

    public PodNetworkOptions Options => _options;

    /// <summary>
    /// The MTU pods must use, known after <see cref="PrepareAsync"/>: the underlay's minus <see cref="VxlanOverhead"/> when VXLAN may
    /// carry pod traffic (backend Auto or Vxlan); null when it never does (pods keep the default).
    /// </summary>
    public int? PodMtu { get; private set; }

    /// <summary>The nat chain with the masquerade rule, unique per bridge (several agents may share one host's iptables).</summary>
    public string NatChain => "SKIFF-NET-" + _options.BridgeName;

    /// <summary>The filter chain accepting forwarded cluster traffic, appended to FORWARD.</summary>
    public string ForwardChain => "SKIFF-NETF-" + _options.BridgeName;

    private NetCommand Command => _options.Command;

    private bool UsesVxlan => _options.Backend is PodNetworkBackend.Auto or PodNetworkBackend.Vxlan;

    /// <summary>Creates the bridge with its gateway address, sysctls and the masquerade rules; idempotent.</summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        await EnsureHostAsync(cancellationToken).ConfigureAwait(false);
        PodMtu = null;
        if (UsesVxlan && await UnderlayAsync(cancellationToken).ConfigureAwait(false) is { } underlay)
        {
            PodMtu = underlay.Mtu - VxlanOverhead;
        }

        await CheckPodCidrRouteAsync(cancellationToken).ConfigureAwait(false);
        LogPrepared(_logger, _options.BridgeName, _options.Gateway, _options.PodCidr.PrefixLength, _options.Backend, PodMtu ?? 0);
    }

    /// <summary>
    /// Warns when the kernel sends the first pod address anywhere but the bridge: a route of another network (a second cluster,
    /// a VPN, a container engine) with the same prefix came first, and this host could not reach its own pods.
    /// </summary>
    private async Task CheckPodCidrRouteAsync(CancellationToken cancellationToken)
    {
        byte[] bytes = _options.Gateway.GetAddressBytes();
        bytes[^1]++;
        var firstPod = new IPAddress(bytes);
        if (!_options.PodCidr.Contains(firstPod))
        {
            return;
        }

        var (code, output, _) = await Command.TryRunAsync("ip", ["-4", "-o", "route", "get", firstPod.ToString()], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        string[] fields = output.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        int dev = Array.IndexOf(fields, "dev");
        if (code == 0 && dev >= 0 && dev + 1 < fields.Length && fields[dev + 1] != _options.BridgeName)
        {
            LogPodCidrRoutedElsewhere(_logger, _options.PodCidr, fields[dev + 1], _options.BridgeName);
        }
    }

    /// <summary>Sysctls, bridge and iptables: what <see cref="PrepareAsync"/> does and every resync repeats.</summary>
    private async Task EnsureHostAsync(CancellationToken cancellationToken)
    {
        await Command.RunAsync("sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"], cancellationToken: cancellationToken).ConfigureAwait(false);
        var (code, _, error) = await Command.TryRunAsync("sysctl", ["-q", "-w", "net.bridge.bridge-nf-call-iptables=1"], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (code != 0)
        {
            // Without br_netfilter, traffic between pods of this node skips iptables (network policy, Service hairpin).
            LogBridgeNetfilterMissing(_logger, error.Trim());
        }

        await EnsureBridgeAsync(cancellationToken).ConfigureAwait(false);
        await EnsureIptablesAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The CNI bridge, up, with the gateway address and no other IPv4 address: the bridge plugin (isGateway) accepts a bridge
    /// that already has exactly its gateway address, and refuses one with a different address (a stale pod CIDR).
    /// </summary>
    private async Task EnsureBridgeAsync(CancellationToken cancellationToken)
    {
        string bridge = _options.BridgeName;
        var (exists, _, _) = await Command.TryRunAsync("ip", ["link", "show", "dev", bridge], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (exists != 0)
        {
            await Command.RunAsync("ip", ["link", "add", bridge, "type", "bridge"], cancellationToken: cancellationToken).ConfigureAwait(false);
            LogBridgeCreated(_logger, bridge);
        }

        string gateway = _options.Gateway + "/" + _options.PodCidr.PrefixLength.ToString(CultureInfo.InvariantCulture);
        await SetOnlyAddressAsync(bridge, gateway, cancellationToken).ConfigureAwait(false);
        await Command.RunAsync("ip", ["link", "set", bridge, "up"], cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gives <paramref name="device"/> the IPv4 address <paramref name="cidr"/> and removes any other IPv4 address it has.</summary>
    private async Task SetOnlyAddressAsync(string device, string cidr, CancellationToken cancellationToken)
    {
        string listing = await Command.RunAsync("ip", ["-4", "-o", "addr", "show", "dev", device], cancellationToken: cancellationToken).ConfigureAwait(false);
        bool present = false;
        foreach (string line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int inet = Array.IndexOf(fields, "inet");
            if (inet < 0 || inet + 1 >= fields.Length)
            {
                continue;
            }

            if (fields[inet + 1] == cidr)
            {
                present = true;
            }
            else
            {
                await Command.RunAsync("ip", ["addr", "del", fields[inet + 1], "dev", device], cancellationToken: cancellationToken).ConfigureAwait(false);
                LogStaleAddressRemoved(_logger, fields[inet + 1], device);
            }
        }

        if (!present)
        {
            await Command.RunAsync("ip", ["addr", "add", cidr, "dev", device], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The nat chain masquerading pod traffic that leaves the cluster CIDR (pod IPs stay visible between nodes), jumped to from
    /// POSTROUTING, and the filter chain accepting traffic from and to the cluster CIDR, appended to FORWARD (network policy
    /// inserts its own chain before it), as flannel does. Both chains are rewritten in one restore; the jumps are added once.
    /// </summary>
    private async Task EnsureIptablesAsync(CancellationToken cancellationToken)
    {
        string pods = _options.PodCidr.ToString();
        string cluster = _options.ClusterCidr.ToString();
        string restore =
            $"*nat\n:{NatChain} - [0:0]\n" +
            $"-A {NatChain} -s {pods} ! -d {cluster} -m comment --comment \"skiff pod network: pod traffic leaving the cluster\" -j MASQUERADE --random-fully\n" +
            "COMMIT\n" +
            $"*filter\n:{ForwardChain} - [0:0]\n" +
            $"-A {ForwardChain} -s {cluster} -m comment --comment \"skiff pod network: from pods\" -j ACCEPT\n" +
            $"-A {ForwardChain} -d {cluster} -m comment --comment \"skiff pod network: to pods\" -j ACCEPT\n" +
            "COMMIT\n";
        await Iptables.ApplyAsync(Command, restore, cancellationToken).ConfigureAwait(false);
        await Iptables.EnsureJumpAsync(Command, "nat", "POSTROUTING", NatChain, "skiff pod network masquerade", cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        await Iptables.EnsureJumpAsync(Command, "filter", "FORWARD", ForwardChain, "skiff pod network forward", append: true, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Removes the jumps and both chains (absent ones are fine).</summary>
    private async Task RemoveIptablesAsync(CancellationToken cancellationToken)
    {
        await Iptables.RemoveJumpAsync(Command, "nat", "POSTROUTING", NatChain, "skiff pod network masquerade", cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        await Iptables.RemoveJumpAsync(Command, "filter", "FORWARD", ForwardChain, "skiff pod network forward", cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        string restore = $"*nat\n:{NatChain} - [0:0]\n-X {NatChain}\nCOMMIT\n*filter\n:{ForwardChain} - [0:0]\n-X {ForwardChain}\nCOMMIT\n";
        await Iptables.ApplyAsync(Command, restore, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The device holding <see cref="PodNetworkOptions.NodeIp"/> and its MTU; null when no device has it or it is loopback (no VXLAN then).</summary>
    private async Task<(string Device, int Mtu)?> UnderlayAsync(CancellationToken cancellationToken)
    {
        if (IPAddress.IsLoopback(_options.NodeIp))
        {
            return null;
        }

        string listing = await Command.RunAsync("ip", ["-4", "-o", "addr", "show"], cancellationToken: cancellationToken).ConfigureAwait(false);
        string wanted = _options.NodeIp + "/";
        foreach (string line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int inet = Array.IndexOf(fields, "inet");
            if (fields.Length > 1 && inet > 0 && inet + 1 < fields.Length && fields[inet + 1].StartsWith(wanted, StringComparison.Ordinal))
            {
                string device = fields[1].Split('@')[0];
                string link = await Command.RunAsync("ip", ["-o", "link", "show", "dev", device], cancellationToken: cancellationToken).ConfigureAwait(false);
                string[] linkFields = link.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int mtu = Array.IndexOf(linkFields, "mtu");
                return mtu >= 0 && mtu + 1 < linkFields.Length && int.TryParse(linkFields[mtu + 1], CultureInfo.InvariantCulture, out int value)
                    ? (device, value)
                    : (device, 1500);
            }
        }

        return null;
    }
}
