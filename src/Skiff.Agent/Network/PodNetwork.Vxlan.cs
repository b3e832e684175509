using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Skiff.Agent.Network;

public sealed partial class PodNetwork
{
    /// <summary>
    /// The VXLAN device as flannel makes it: VNI, UDP port, no learning (peers come from the Node objects), local address the
    /// node's InternalIP on its underlay device, MTU the underlay's minus <see cref="VxlanOverhead"/>, and this node's VTEP
    /// address (its pod CIDR's network address, /32) so that replies from peers find their way back. A device with other
    /// parameters (a changed node IP) is made again. Returns the device's MAC.
    /// </summary>
    private async Task<string> EnsureVxlanDeviceAsync(string underlay, int underlayMtu, CancellationToken cancellationToken)
    {
        string device = _options.VxlanDevice;
        string id = _options.VxlanId.ToString(CultureInfo.InvariantCulture);
        string port = _options.VxlanPort.ToString(CultureInfo.InvariantCulture);
        var (code, details, _) = await Command.TryRunAsync("ip", ["-d", "-o", "link", "show", "dev", device], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (code == 0 && !(details.Contains($" vxlan id {id} ", StringComparison.Ordinal)
            && details.Contains($" local {_options.NodeIp} dev {underlay} ", StringComparison.Ordinal)
            && details.Contains($" dstport {port} ", StringComparison.Ordinal)))
        {
            await Command.RunAsync("ip", ["link", "del", device], cancellationToken: cancellationToken).ConfigureAwait(false);
            LogVxlanReplaced(_logger, device);
            code = 1;
        }

        if (code != 0)
        {
            await Command.RunAsync(
                "ip",
                ["link", "add", device, "type", "vxlan", "id", id, "dstport", port, "nolearning", "local", _options.NodeIp.ToString(), "dev", underlay],
                cancellationToken: cancellationToken).ConfigureAwait(false);
            LogVxlanCreated(_logger, device, _options.VxlanId, _options.VxlanPort, underlay);
        }

        string mtu = (underlayMtu - VxlanOverhead).ToString(CultureInfo.InvariantCulture);
        await Command.RunAsync("ip", ["link", "set", device, "mtu", mtu], cancellationToken: cancellationToken).ConfigureAwait(false);
        await SetOnlyAddressAsync(device, _options.PodCidr.BaseAddress + "/32", cancellationToken).ConfigureAwait(false);
        await Command.RunAsync("ip", ["link", "set", device, "up"], cancellationToken: cancellationToken).ConfigureAwait(false);

        string link = await Command.RunAsync("ip", ["-o", "link", "show", "dev", device], cancellationToken: cancellationToken).ConfigureAwait(false);
        string[] fields = link.Split([' ', '\\'], StringSplitOptions.RemoveEmptyEntries);
        int ether = Array.IndexOf(fields, "link/ether");
        return ether >= 0 && ether + 1 < fields.Length
            ? fields[ether + 1].ToLowerInvariant()
            : throw new NetCommandException($"no MAC address in: {link.Trim()}", -1);
    }

    /// <summary>Sets <see cref="VtepMacAnnotation"/> on this node's Node (merge patch) unless the cached Node already carries <paramref name="mac"/>.</summary>
    private async Task PublishVtepMacAsync(IReadOnlyList<V1Node> nodes, string mac, CancellationToken cancellationToken)
    {
        V1Node? self = nodes.FirstOrDefault(n => n.Metadata?.Name == _options.NodeName);
        if (self?.Metadata?.Annotations is { } annotations && annotations.TryGetValue(VtepMacAnnotation, out string? published) && published == mac)
        {
            return;
        }

        var body = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [VtepMacAnnotation] = mac } } };
        try
        {
            await _client.CoreV1.PatchNodeAsync(new V1Patch(body.ToJsonString(), V1Patch.PatchType.MergePatch), _options.NodeName, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            LogVtepPublished(_logger, mac, _options.NodeName);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            LogVtepPublishFailed(_logger, _options.NodeName, e.Message);
        }
    }
}
